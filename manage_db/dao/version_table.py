"""The alembic version table of a component: which revisions are applied."""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2 import errors, sql

from manage_db.errors import ConnectionFailed, first_line


def qualified(table: str, schema: str | None) -> sql.Composed:
    """The table name, quoted, with its schema when there is one."""
    if schema:
        return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    return sql.SQL("{}").format(sql.Identifier(table))


def history_table(version_table: str) -> str:
    """The applied history table beside ``version_table``: ``alembic_version`` ->
    ``alembic_version_history`` (``dao.history`` writes it)."""
    return f"{version_table}_history"


def exists(conn: Any, table: str, schema: str | None = None) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (qualified(table, schema).as_string(conn),))
        return cur.fetchone()[0] is not None


def drop_if_empty(conn: Any, table: str, schema: str | None = None) -> bool:
    """Drop the version table when it holds no revision; True when it was dropped."""
    if not exists(conn, table, schema) or read_current(conn, table, schema):
        return False
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE {}").format(qualified(table, schema)))
    return True


def read_current(conn: Any, table: str, schema: str | None = None) -> tuple[str, ...]:
    """Applied heads, sorted; () when the version table does not exist yet."""
    if not exists(conn, table, schema):
        return ()
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT version_num FROM {}").format(qualified(table, schema)))
            return tuple(sorted(row[0] for row in cur.fetchall()))
    except errors.InsufficientPrivilege as error:
        raise ConnectionFailed(
            f"cannot read version table {table} as {conn.info.user}: {first_line(error)}"
        ) from error


def wait_durable(conn: Any) -> None:
    """Return once every transaction committed so far, by any session, is flushed to disk.

    A synchronous commit waits for the WAL up to its own commit record, which comes after those
    of the migration session's asynchronous commits: one transaction that writes WAL is that
    barrier (``conn`` in autocommit, with the server's default ``synchronous_commit``). It must
    write a record of its own before its commit: one that only takes a transaction id commits
    asynchronously too. A transactional logical message is such a record, touching no table.
    """
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_catalog.pg_logical_emit_message(true, 'wazo-manage-db', 'durable')"
            )
    except psycopg2.Error:
        # The server went away: what the run reports comes from its own error, not this one.
        return
