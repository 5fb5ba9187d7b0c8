"""The applied history table of a component: ``<version_table>_history``, beside the version table.

Rows are written on whatever connection the caller gives: the migration's own (inside the step's
transaction, so the history never disagrees with the version table) or the autocommit lock
connection (a non-transactional revision's start, a failure, an adoption, a repair).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from psycopg2 import errors, sql

from manage_db.dao.connection import rendered
from manage_db.dao.version_table import history_table as table_name
from manage_db.dao.version_table import qualified
from manage_db.history_model import HistoryEntry, LastRecord

_COLUMNS = (
    "id",
    "revision",
    "direction",
    "started_at",
    "duration",
    "checksum",
    "transactional",
    "db_role",
    "os_user",
    "host",
    "tool_version",
    "outcome",
    "error",
)


def _table(version_table: str, schema: str | None) -> sql.Composed:
    return qualified(table_name(version_table), schema)


def _cursor(conn: Any) -> Any:
    """A DB-API cursor from a psycopg2 connection or a SQLAlchemy one (as alembic hands it)."""
    if hasattr(conn, "exec_driver_sql"):
        return conn.connection.cursor()
    return conn.cursor()


def create_table(conn: Any, version_table: str, schema: str | None) -> None:
    """Create the table when missing (owned by the connected role: the owner)."""
    statement = sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} ("
        " id bigserial PRIMARY KEY,"
        " revision varchar(64) NOT NULL,"
        " direction varchar(16) NOT NULL,"
        " started_at timestamptz NOT NULL,"
        " duration interval,"
        " checksum varchar(64),"
        " transactional boolean NOT NULL DEFAULT true,"
        " db_role name NOT NULL DEFAULT current_user,"
        " os_user text NOT NULL,"
        " host text NOT NULL,"
        " tool_version text NOT NULL,"
        " outcome varchar(16) NOT NULL,"
        " error text)"
    ).format(_table(version_table, schema))
    with _cursor(conn) as cur:
        cur.execute(statement)


def drop_if_empty(conn: Any, version_table: str, schema: str | None) -> None:
    """Drop the table when it holds no row (a first run that failed before any step)."""
    table = _table(version_table, schema)
    try:
        with _cursor(conn) as cur:
            cur.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(table))
            if not cur.fetchone()[0]:
                cur.execute(sql.SQL("DROP TABLE {}").format(table))
    except errors.UndefinedTable:
        pass


def insert(
    conn: Any,
    version_table: str,
    schema: str | None,
    rows: Sequence[dict[str, Any]],
) -> list[int]:
    """Insert rows (keys: the columns but id and db_role) in one statement; their ids in order."""
    if not rows:
        return []
    with _cursor(conn) as cur:
        cur.execute(_insert_statement(cur, version_table, schema, len(rows)), _values(rows))
        return [row[0] for row in cur.fetchall()]


def insert_sql(
    cursor: Any, version_table: str, schema: str | None, rows: Sequence[dict[str, Any]]
) -> str:
    """The INSERT of ``rows`` rendered for ``cursor`` (no RETURNING), to send with another write.

    It goes out after the step's own statements, in their round trip: each row's duration is
    the client's part plus the server's time on that round trip up to the INSERT.
    """
    statement = _insert_statement(
        cursor, version_table, schema, len(rows), returning=False, batched=True
    )
    return rendered(cursor, statement, _values(rows))


_INSERTED = tuple(c for c in _COLUMNS if c not in ("id", "db_role"))
_RENDERED: dict[tuple[str, str | None, int, bool, bool], str] = {}


def _values(rows: Sequence[dict[str, Any]]) -> list[Any]:
    return [
        _interval(row.get("duration")) if name == "duration" else row.get(name)
        for row in rows
        for name in _INSERTED
    ]


def _insert_statement(
    cur: Any,
    version_table: str,
    schema: str | None,
    count: int,
    returning: bool = True,
    batched: bool = False,
) -> str:
    """The INSERT of ``count`` rows, composed once per table (a run inserts a row per step)."""
    key = (version_table, schema, count, returning, batched)
    if key not in _RENDERED:
        value = {
            name: sql.SQL("{} + (clock_timestamp() - statement_timestamp())").format(
                sql.Placeholder()
            )
            if batched and name == "duration"
            else sql.Placeholder()
            for name in _INSERTED
        }
        one_row = sql.SQL("({})").format(sql.SQL(", ").join(value[name] for name in _INSERTED))
        statement = sql.SQL("INSERT INTO {} ({}) VALUES {}").format(
            _table(version_table, schema),
            sql.SQL(", ").join(sql.Identifier(n) for n in _INSERTED),
            sql.SQL(", ").join(one_row for _ in range(count)),
        )
        if returning:
            statement += sql.SQL(" RETURNING id")
        _RENDERED[key] = statement.as_string(cur)
    return _RENDERED[key]


def finish(
    conn: Any,
    version_table: str,
    schema: str | None,
    row_id: int,
    *,
    duration: float,
    outcome: str,
    error: str | None = None,
) -> None:
    """Close a row opened before a non-transactional revision ran."""
    statement = sql.SQL(
        "UPDATE {} SET duration = %s, outcome = %s, error = %s WHERE id = %s"
    ).format(_table(version_table, schema))
    with _cursor(conn) as cur:
        cur.execute(statement, (_interval(duration), outcome, error, row_id))


def read_entries(
    conn: Any, version_table: str, schema: str | None, limit: int | None = None
) -> list[HistoryEntry] | None:
    """Every row, newest first; None when the table does not exist (autocommit connection)."""
    statement = sql.SQL("SELECT {} FROM {} ORDER BY id DESC").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS), _table(version_table, schema)
    )
    if limit is not None:
        statement += sql.SQL(" LIMIT {}").format(sql.Literal(limit))
    rows = _rows_if_table(conn, statement)
    return None if rows is None else [_entry(row) for row in rows]


def read_last_records(
    conn: Any, version_table: str, schema: str | None
) -> dict[str, LastRecord] | None:
    """Per revision, its newest row that did not fail; None when the table does not exist.

    One query (status asks it once per component, on an autocommit connection).
    """
    statement = sql.SQL(
        "SELECT DISTINCT ON (revision) revision, direction, checksum, outcome FROM {}"
        " WHERE outcome <> 'failed' ORDER BY revision, id DESC"
    ).format(_table(version_table, schema))
    rows = _rows_if_table(conn, statement)
    if rows is None:
        return None
    return {
        revision: LastRecord(direction, checksum, outcome)
        for revision, direction, checksum, outcome in rows
    }


def _rows_if_table(conn: Any, statement: sql.Composable) -> list[tuple[Any, ...]] | None:
    """The statement's rows; None when the history table does not exist yet."""
    try:
        with _cursor(conn) as cur:
            cur.execute(statement)
            return list(cur.fetchall())
    except errors.UndefinedTable:
        return None


def _interval(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _entry(row: Sequence[Any]) -> HistoryEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    duration = values["duration"]
    values["duration"] = duration.total_seconds() if duration is not None else None
    return HistoryEntry(**values)
