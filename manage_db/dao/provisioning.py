"""Catalog reads and DDL for roles, databases, schemas and extensions (run as superuser)."""

from __future__ import annotations

from typing import Any

from psycopg2 import Error, errors, sql
from psycopg2.extensions import encrypt_password

from manage_db.errors import ProvisioningRefused, first_line


def role_exists(conn: Any, role: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        return cur.fetchone() is not None


def scram_verifier(conn: Any, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password``, computed here (libpq's PQencryptPasswordConn).

    What the server receives, and may log, is the verifier: never the plaintext.
    """
    return str(encrypt_password(password, role, conn, "scram-sha-256"))


def create_role(conn: Any, role: str, password: str | None) -> bool:
    """CREATE ROLE … LOGIN [PASSWORD verifier]; False when another process created it first."""
    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
    if password:
        verifier = scram_verifier(conn, role, password)
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(verifier))
    return _create(conn, statement, errors.DuplicateObject)


def database_exists(conn: Any, database: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        return cur.fetchone() is not None


def create_database(conn: Any, database: str, owner: str) -> bool:
    """CREATE DATABASE … WITH OWNER … ENCODING 'UTF8'; False when it appeared meanwhile."""
    statement = sql.SQL(
        "CREATE DATABASE {} WITH OWNER {} ENCODING 'UTF8' TEMPLATE template0"
    ).format(sql.Identifier(database), sql.Identifier(owner))
    return _create(conn, statement, errors.DuplicateDatabase)


def schema_exists(conn: Any, schema: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        return cur.fetchone() is not None


def create_schema(conn: Any, schema: str, owner: str) -> bool:
    """CREATE SCHEMA … AUTHORIZATION owner; False when another process created it first."""
    statement = sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
        sql.Identifier(schema), sql.Identifier(owner)
    )
    return _create(conn, statement, errors.DuplicateSchema)


def installed_extensions(conn: Any) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension")
        return {row[0] for row in cur.fetchall()}


def create_extension(conn: Any, extension: str) -> bool:
    """CREATE EXTENSION; False when another process created it first.

    ProvisioningRefused when the server refuses it (not available, not allowed).
    """
    statement = sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(extension))
    try:
        return _create(conn, statement, errors.DuplicateObject)
    except Error as error:
        raise ProvisioningRefused(
            f"the server refuses extension {extension!r}: {first_line(error)}"
        ) from error


def _create(conn: Any, statement: sql.Composable, duplicate: type[Error]) -> bool:
    """Run a CREATE; False when another process created the object first.

    A concurrent CREATE fails with ``duplicate``, or with a unique violation in the catalog
    when both passed the existence check at the same moment.
    """
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except (duplicate, errors.UniqueViolation):
        return False
    return True
