"""Throwaway databases on a PostgreSQL server, for verify and its pytest plugin.

A database with a unique name, owned by the given role (or by a throwaway role with a unique
name), dropped with that role at the end, also on error or Ctrl-C (``DROP DATABASE … WITH
(FORCE)``); ``synchronous_commit`` off in it, since nothing in it is worth a WAL flush.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from manage_db.dao.connection import search_path_option
from manage_db.errors import ConnectionFailed


@dataclass
class Sandbox:
    """A throwaway database: URIs to reach it as the superuser and as the migrating role."""

    database: str
    admin_dsn: str
    owner_dsn: str
    owner: str


@contextmanager
def throwaway_database(
    admin_uri: str,
    *,
    owner: str | None = None,
    owner_password: str | None = None,
    schema: str | None = None,
    extensions: Sequence[str] = (),
) -> Iterator[Sandbox]:
    """Create a database owned by ``owner`` (or a throwaway role); drop both after.

    ``owner`` is used when it exists, so migrations that name it (default privileges,
    policies) behave as in production; otherwise a role with a unique name is created rather
    than the real one, so nothing is left behind on a shared server.  ``schema`` is created
    owned by that role, ``extensions`` as superuser.
    """
    from psycopg2 import sql

    suffix = secrets.token_hex(5)
    database = f"manage_db_verify_{suffix}"
    admin = connect(admin_uri)
    created_role: str | None = None
    try:
        with admin.cursor() as cursor:
            password = owner_password
            if owner is not None:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,))
                if cursor.fetchone() is None:
                    owner = None
            if owner is None:
                owner = created_role = f"manage_db_verify_{suffix}"
                password = secrets.token_urlsafe(16)
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(owner), sql.Literal(password)
                    )
                )
            cursor.execute(
                sql.SQL(
                    "CREATE DATABASE {} WITH OWNER {} ENCODING 'UTF8' TEMPLATE template0"
                ).format(sql.Identifier(database), sql.Identifier(owner))
            )
            # Throwaway data: durability is not worth a WAL flush per migration.
            cursor.execute(
                sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(
                    sql.Identifier(database)
                )
            )
        admin_dsn = with_params(admin_uri, dbname=database)
        owner_options: dict[str, str] = {"dbname": database, "user": owner}
        if password:
            owner_options["password"] = password
        if schema:
            owner_options["options"] = search_path_option(schema, "public")
        _prepare_database(admin_dsn, owner, schema, extensions)
        yield Sandbox(database, admin_dsn, with_params(admin_uri, **owner_options), owner)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            if created_role is not None:
                cursor.execute(
                    sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(created_role))
                )
        admin.close()


def _prepare_database(
    admin_dsn: str, owner: str, schema: str | None, extensions: Sequence[str]
) -> None:
    """The component's schema (owned by the role) and extensions (as superuser)."""
    from psycopg2 import sql

    connection = connect(admin_dsn)
    try:
        with connection.cursor() as cursor:
            if schema:
                cursor.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                        sql.Identifier(schema), sql.Identifier(owner)
                    )
                )
            for extension in extensions:
                cursor.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension))
                )
    finally:
        connection.close()


def with_params(uri: str, **params: str) -> str:
    from psycopg2.extensions import make_dsn

    return str(make_dsn(uri, **params))


def connect(dsn: str) -> Any:
    import psycopg2

    try:
        connection = psycopg2.connect(dsn)
    except psycopg2.OperationalError as error:
        raise ConnectionFailed(f"cannot connect: {str(error).strip().splitlines()[0]}") from error
    connection.autocommit = True
    return connection


def run_sql(dsn: str, text: str) -> None:
    """Run ``text`` (one or more statements) on its own autocommit connection."""
    connection = connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(text)
    finally:
        connection.close()
