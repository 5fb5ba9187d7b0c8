"""Where components' databases stand: the applied heads and the applied history's last records.

``status`` and the upgrade with nothing to do ask this of every component; it is one query for
all the components that share a connection, when every version and history table exists (the
usual case), else the tables are read one at a time, which also says which one is missing.
The history query is ``dao.history.read_last_records``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg2
from psycopg2 import errors, sql

from manage_db.dao import history as history_table
from manage_db.dao.version_table import qualified, read_current
from manage_db.errors import EXIT_FINDINGS, ManageDbError
from manage_db.history_model import LastRecord


class StateReadError(ManageDbError):
    """A query of a version or history table failed; the message is the server's first line."""

    exit_code = EXIT_FINDINGS


class ComponentState:
    """One component's database: its applied heads (sorted) and its history's last records
    (None when it has no history table yet)."""

    __slots__ = ("current", "last")

    def __init__(self, current: tuple[str, ...], last: Mapping[str, LastRecord] | None) -> None:
        self.current = current
        self.last = last


# A table: (version table, schema or None).
Table = tuple[str, "str | None"]


def read_states(conn: Any, tables: Sequence[Table]) -> list[ComponentState | ManageDbError]:
    """The state of each table's component, in order; an error in place of a state that could
    not be read (the others are still read)."""
    if not tables:
        return []
    try:
        return list(_read_together(conn, tables))
    except (errors.UndefinedTable, errors.InsufficientPrivilege):
        pass  # some table is missing or unreadable: read them one by one, each says its own
    except psycopg2.Error as error:
        return [_failure(error)] * len(tables)
    return [read_state(conn, version_table, schema) for version_table, schema in tables]


def read_state(conn: Any, version_table: str, schema: str | None) -> ComponentState | ManageDbError:
    """One component's state, table by table (a missing table reads as empty)."""
    try:
        current = read_current(conn, version_table, schema)
        last = history_table.read_last_records(conn, version_table, schema)
    except ManageDbError as error:
        return error
    except psycopg2.Error as error:
        return _failure(error)
    return ComponentState(current, last)


def _failure(error: Exception) -> StateReadError:
    return StateReadError(str(error).strip().splitlines()[0])


def _read_together(conn: Any, tables: Sequence[Table]) -> list[ComponentState]:
    parts = []
    for index, (version_table, schema) in enumerate(tables):
        parts.append(
            sql.SQL(
                "SELECT {index}, 'v', version_num::text, NULL::text, NULL::text, NULL::text"
                " FROM {versions}"
                " UNION ALL (SELECT DISTINCT ON (revision) {index}, 'h', revision::text,"
                " direction::text, checksum::text, outcome::text FROM {history}"
                " WHERE outcome <> 'failed' ORDER BY revision, id DESC)"
            ).format(
                index=sql.Literal(index),
                versions=qualified(version_table, schema),
                history=qualified(history_table.table_name(version_table), schema),
            )
        )
    with conn.cursor() as cur:
        cur.execute(sql.SQL(" UNION ALL ").join(parts))
        rows = cur.fetchall()
    current: list[list[str]] = [[] for _ in tables]
    last: list[dict[str, LastRecord]] = [{} for _ in tables]
    for index, kind, revision, direction, checksum, outcome in rows:
        if kind == "v":
            current[index].append(revision)
        else:
            last[index][revision] = LastRecord(direction, checksum, outcome)
    return [ComponentState(tuple(sorted(c)), h) for c, h in zip(current, last, strict=True)]
