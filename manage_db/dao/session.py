"""The migration session's connection, built here and nowhere else: its libpq parameters
(search_path, limits, keepalives, asynchronous commit, which server of several), and what its
errors mean.

Everything travels in the URI itself (``options=-c …``, ``keepalives…``, ``connect_timeout``,
``target_session_attrs``) because a stock daemon env.py builds its own engine from
``ALEMBIC_DB_URI``: whatever connects with that URI gets them. A revision that runs
``SET [LOCAL] lock_timeout`` overrides the session default like any other setting.

A schema-confined component's search_path is its own schema, then (when it declares extensions)
the schema init creates extensions in: its migrations call ``uuid_generate_v4()`` unqualified,
and what they create still lands in the first schema, its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.dao.connection import build_uri, libpq_message, parse_uri, session_target
from manage_db.errors import first_line
from manage_db.timeouts import SessionTimeouts

LOCK_NOT_AVAILABLE = "55P03"
# admin_shutdown, crash_shutdown, cannot_connect_now; class 08 is connection_exception.
_CONNECTION_LOST_CODES = ("57P01", "57P02", "57P03")
_CONNECTION_LOST_MESSAGES = (
    "server closed the connection unexpectedly",
    "terminating connection",
    "connection already closed",
    "could not receive data from server",
    "could not send data to server",
    "connection not open",
    "ssl syscall error",
)
# Server-side check that the client is still there while a statement runs (PostgreSQL 14+).
CLIENT_CHECK_INTERVAL_MS = 1000
# Where init creates a component's extensions (CREATE EXTENSION as the superuser, its default).
EXTENSIONS_SCHEMA = "public"


def search_path(schema: str | None, extensions: Sequence[str] = ()) -> tuple[str, ...]:
    """The schemas a component's sessions see: its own, then its extensions' (none unconfined)."""
    if not schema:
        return ()
    if extensions and schema != EXTENSIONS_SCHEMA:
        return (schema, EXTENSIONS_SCHEMA)
    return (schema,)


def search_path_option(*schemas: str) -> str:
    """libpq ``options`` value setting ``search_path`` to ``schemas``, whatever their characters.

    Each identifier is quoted for PostgreSQL (so commas, upper case and quotes stay in the name),
    then spaces and backslashes are escaped for libpq's own splitting of ``options``.
    """
    quoted = ",".join('"' + schema.replace('"', '""') + '"' for schema in schemas)
    return f"-c search_path={_escaped(quoted)}"


def confined(params: dict[str, str], schema: str | None, extensions: Sequence[str] = ()) -> None:
    """Set ``params``' search_path for a component confined to ``schema`` (after any options the
    URI gives: ours win)."""
    schemas = search_path(schema, extensions)
    if schemas:
        given = params.get("options", "").strip()
        params["options"] = f"{given} {search_path_option(*schemas)}".strip()


def with_settings(uri: str, settings: Mapping[str, str]) -> str:
    """``uri`` with ``settings`` added to its libpq ``options`` (given twice: ours wins)."""
    if not settings:
        return uri
    params = parse_uri(uri)
    given = params.get("options", "").strip()
    ours = " ".join(f"-c {name}={_escaped(value)}" for name, value in settings.items())
    params["options"] = f"{given} {ours}".strip()
    return build_uri(params)


def asynchronous_commit(uri: str) -> str:
    """``uri`` with asynchronous commits.

    Each revision commits on its own; waiting for the WAL flush of every one of them costs a disk
    sync per revision (3 ms each, a third of a 1,000-revision upgrade). Asynchronously committed
    steps stay atomic (a crash loses whole revisions, never half of one, and a rerun applies them
    again); ``dao.version_table.wait_durable`` makes them durable before the run reports.
    """
    return with_settings(uri, {"synchronous_commit": "off"})


def migration_session_uri(uri: str, timeouts: SessionTimeouts, server_version: int) -> str:
    """The URI the migrations run on: ``uri`` (the owner's, search_path included) with the
    session limits, keepalives, asynchronous commits, and a primary asked for when it names no
    ``target_session_attrs`` (of several hosts, the one that is not in recovery)."""
    import psycopg2.extensions

    params: dict[str, Any] = parse_uri(asynchronous_commit(uri))
    params.update(session_target(uri))
    settings = [
        f"-clock_timeout={_milliseconds(timeouts.lock_timeout)}",
        f"-cstatement_timeout={_milliseconds(timeouts.statement_timeout)}",
        # The server notices a dead client's silent TCP peer too, not only a closed socket.
        "-ctcp_keepalives_idle=5",
        "-ctcp_keepalives_interval=2",
        "-ctcp_keepalives_count=3",
    ]
    if server_version >= 140000:
        settings.append(f"-cclient_connection_check_interval={CLIENT_CHECK_INTERVAL_MS}")
    params["options"] = " ".join(filter(None, [params.get("options", ""), *settings]))
    server_timeout = max(1, int(timeouts.server_timeout))
    params.update(
        keepalives="1",
        keepalives_idle=str(max(1, server_timeout // 3)),
        keepalives_interval=str(max(1, server_timeout // 6)),
        keepalives_count="3",
        connect_timeout=str(max(2, server_timeout)),
    )
    if psycopg2.extensions.libpq_version() >= 120000:
        params["tcp_user_timeout"] = str(server_timeout * 1000)
    return build_uri(params)


def _escaped(value: str) -> str:
    # libpq splits options on whitespace; a backslash keeps a space or backslash in the value.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def _milliseconds(seconds: float) -> int:
    return int(round(seconds * 1000))


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        orig = getattr(error, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        if isinstance(orig, BaseException) and orig not in seen:
            seen.append(orig)
        error = error.__cause__ or error.__context__
    return seen


def is_lock_not_available(error: BaseException) -> bool:
    """The failure was a statement that waited longer than ``lock_timeout`` for a lock."""
    return any(getattr(e, "pgcode", None) == LOCK_NOT_AVAILABLE for e in _chain(error))


def is_connection_lost(error: BaseException) -> bool:
    """The failure was the connection going away (server restart, network cut)."""
    import psycopg2

    for e in _chain(error):
        code = getattr(e, "pgcode", None) or ""
        if code in _CONNECTION_LOST_CODES or code.startswith("08"):
            return True
        if isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            text = str(e).lower()
            if any(message in text for message in _CONNECTION_LOST_MESSAGES):
                return True
    return False


def connection_error_line(error: BaseException) -> str:
    """The driver's first line for a lost connection."""
    for e in _chain(error):
        cause = getattr(e, "orig", None) or e
        if str(cause).strip() and (
            getattr(e, "pgcode", None) or type(e).__module__.startswith("psycopg2")
        ):
            return libpq_message(cause)
    return first_line(error)


def failed_statement(error: BaseException) -> str | None:
    """The SQL text of the statement that failed, when the driver kept it."""
    for e in _chain(error):
        statement = getattr(e, "statement", None)  # SQLAlchemy's DBAPIError
        if isinstance(statement, str) and statement.strip():
            return statement
        cursor = getattr(e, "cursor", None)
        query = getattr(cursor, "query", None)
        if query:
            return query.decode("utf-8", "replace") if isinstance(query, bytes) else str(query)
    return None
