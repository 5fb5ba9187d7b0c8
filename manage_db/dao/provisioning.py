"""Catalog reads and DDL for roles, databases, schemas and extensions (run as superuser)."""

from __future__ import annotations

from typing import Any

from psycopg2 import errors, sql


def role_exists(conn: Any, role: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        return cur.fetchone() is not None


def create_role(conn: Any, role: str, password: str | None) -> bool:
    """CREATE ROLE … LOGIN [PASSWORD]; False when another process created it first."""
    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
    if password:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except (errors.DuplicateObject, errors.UniqueViolation):
        return False
    return True


def database_exists(conn: Any, database: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        return cur.fetchone() is not None


def create_database(conn: Any, database: str, owner: str) -> bool:
    """CREATE DATABASE … WITH OWNER … ENCODING 'UTF8'; False when it appeared meanwhile."""
    statement = sql.SQL(
        "CREATE DATABASE {} WITH OWNER {} ENCODING 'UTF8' TEMPLATE template0"
    ).format(sql.Identifier(database), sql.Identifier(owner))
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except (errors.DuplicateDatabase, errors.UniqueViolation):
        return False
    return True


def schema_exists(conn: Any, schema: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        return cur.fetchone() is not None


def create_schema(conn: Any, schema: str, owner: str) -> bool:
    """CREATE SCHEMA … AUTHORIZATION owner; False when another process created it first."""
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(schema), sql.Identifier(owner)
                )
            )
    except (errors.DuplicateSchema, errors.UniqueViolation):
        return False
    return True


def installed_extensions(conn: Any) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension")
        return {row[0] for row in cur.fetchall()}


def create_extension(conn: Any, extension: str) -> bool:
    """CREATE EXTENSION; False when another process created it first."""
    statement = sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(extension))
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except (errors.DuplicateObject, errors.UniqueViolation):
        return False
    return True
