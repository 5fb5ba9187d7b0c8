"""Catalog reads of replication, and the flush a wait for the standbys starts from.

``pg_stat_replication`` shows its positions to superusers and members of ``pg_monitor`` (or
``pg_read_all_stats``) only: other roles see a row per standby with its details NULL.
"""

from __future__ import annotations

from typing import Any

from manage_db.replication.model import ServerRole, Standby

_STANDBYS = """
SELECT coalesce(application_name, ''),
       coalesce(host(client_addr) || ':' || client_port, 'local'),
       state,
       CASE WHEN replay_lsn IS NULL THEN NULL
            ELSE greatest(0, pg_wal_lsn_diff(coalesce(%s::pg_lsn, pg_current_wal_lsn()),
                                              replay_lsn))::bigint END,
       extract(epoch FROM replay_lag)::float8
  FROM pg_stat_replication
 ORDER BY 1, 2
"""
_READER = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_is_in_recovery() THEN
            greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))::float8 END,
       CASE WHEN pg_is_in_recovery() THEN
            greatest(0, pg_wal_lsn_diff(pg_last_wal_receive_lsn(),
                                        pg_last_wal_replay_lsn()))::bigint END
"""


def flush_position(conn: Any, timeout: float) -> str:
    """The WAL position after every transaction committed so far; returns once it is durable on
    the primary (asynchronous commits included: WAL reaches the standbys only once flushed).
    ``conn`` in autocommit.

    The flush is a transaction committed with ``remote_apply``: its commit record asks each
    standby to report as soon as it has replayed it, instead of at its next status message
    (``wal_receiver_status_interval``, 10 s), and it waits for nothing when no standby is
    synchronous (a synchronous one that does not answer: cancelled after ``timeout`` s).
    """
    with conn.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SET LOCAL synchronous_commit = remote_apply")
        milliseconds = str(int(timeout * 1000) + 1)
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (milliseconds,))
        # A transaction that writes WAL (a transactional message, no table) commits with a flush:
        # one that only takes a transaction id would commit asynchronously, unnoticed.
        cursor.execute(
            "SELECT pg_catalog.pg_current_wal_insert_lsn(), "
            "pg_catalog.pg_logical_emit_message(true, 'wazo-manage-db', 'replica_wait')"
        )
        row = cursor.fetchone()
        cursor.execute("COMMIT")
    return str(row[0])


def standbys(conn: Any, position: str | None = None) -> list[Standby]:
    """The standbys streaming from this primary, and how far each is behind ``position``
    (default: the primary's current WAL position)."""
    with conn.cursor() as cursor:
        cursor.execute(_STANDBYS, (position,))
        rows = cursor.fetchall()
    return [Standby(*row) for row in rows]


def server_role(conn: Any) -> ServerRole:
    """What ``conn`` reached: a primary or a standby, with the standby's replay lag (inside the
    caller's transaction, if any)."""
    with conn.cursor() as cursor:
        cursor.execute(_READER)
        row = cursor.fetchone()
    return ServerRole(str(conn.info.host), str(conn.info.port), bool(row[0]), row[1], row[2])


def replication_state(conn: Any) -> ServerRole:
    """``server_role`` with, on a primary, its standbys and how far each is behind now."""
    role = server_role(conn)
    if role.standby:
        return role
    return ServerRole(role.host, role.port, False, standbys=tuple(standbys(conn)))
