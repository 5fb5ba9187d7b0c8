"""Helpers the integration tests share (a module of its own: several conftest.py files exist)."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg2

REPO = Path(__file__).resolve().parent.parent


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def admin_execute(admin_uri: str, *statements) -> None:
    conn = psycopg2.connect(admin_uri)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def with_db(uri: str, database: str, user: str | None = None, password: str | None = None) -> str:
    """The same server URI pointed at another database (and user)."""
    from manage_db.dao.connection import build_uri, parse_uri

    params = parse_uri(uri)
    params["dbname"] = database
    if user:
        params["user"] = user
        params.pop("password", None)
    if password:
        params["password"] = password
    return build_uri(params)


def query(uri: str, statement, *args) -> list[tuple]:
    """Rows of one statement, on a connection of its own."""
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, args or None)
            return cur.fetchall()
    finally:
        conn.close()
