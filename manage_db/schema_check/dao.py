"""The read-only read of a live database: where its components are and its catalog snapshot,
both from one snapshot of the server's data.

One REPEATABLE READ, READ ONLY transaction (rolled back), with short lock and statement
timeouts: catalog reads take no lock stronger than ACCESS SHARE, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manage_db.dao import version_table
from manage_db.dao.connection import connect
from manage_db.dao.snapshot import Snapshot, SnapshotReader

# Bounds of the read (seconds): a lock it would wait for, a catalog query that would not end.
LOCK_TIMEOUT = 5
STATEMENT_TIMEOUT = 120


@dataclass(frozen=True)
class LiveState:
    """What the live database is at: each version table's revisions, and its snapshot."""

    revisions: dict[str, tuple[str, ...]]
    snapshot: Snapshot


def read_live(
    uri: str,
    version_tables: Sequence[str],
    *,
    schema: str | None,
    exclude_schemas: Sequence[str] = (),
    exclude_tables: Sequence[str] = (),
) -> LiveState:
    """The revisions recorded in ``version_tables`` (in ``schema``) and the catalog snapshot of
    ``schema`` (None: every schema but ``exclude_schemas``), read in one read-only snapshot."""
    connection = connect(uri, autocommit=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), "
                "set_config('statement_timeout', %s, true)",
                (f"{LOCK_TIMEOUT}s", f"{STATEMENT_TIMEOUT}s"),
            )
        revisions = {
            table: version_table.read_current(connection, table, schema) for table in version_tables
        }
        reader = SnapshotReader(
            connection,
            schemas=[schema] if schema else None,
            exclude_schemas=exclude_schemas,
            exclude_tables=exclude_tables,
        )
        snapshot = reader.take()
        connection.rollback()
        return LiveState(revisions, snapshot)
    finally:
        connection.close()
