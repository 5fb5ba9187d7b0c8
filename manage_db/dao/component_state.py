"""Where components' databases stand: the applied heads and the applied history's last records.

``status`` and the upgrade with nothing to do ask this of every component; it is one query for
all the components that share a connection when every version and history table exists (the
usual case), else the tables are read one at a time, which also says which one is missing. That
query brings the applied heads and a digest of every history row (the columns the last records
are made of), computed by the server; the last records themselves (``ComponentState.last``,
``dao.history.read_last_records``) are read only when asked for, on the same connection.
The history table's name is ``dao.version_table.history_table``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import psycopg2
from psycopg2 import errors, sql

from manage_db.dao.version_table import history_table, qualified, read_current
from manage_db.errors import EXIT_FINDINGS, ManageDbError

if TYPE_CHECKING:  # the records are read only when a cached verdict does not answer
    from manage_db.history_model import LastRecord

Records = Mapping[str, "LastRecord"]


class StateReadError(ManageDbError):
    """A query of a version or history table failed; the message is the server's first line."""

    exit_code = EXIT_FINDINGS


class ComponentState:
    """One component's database: its applied heads (sorted), its history's last records (None
    when it has no history table yet), and ``digest``: equal digests, equal states (None when
    the state was read table by table)."""

    __slots__ = ("current", "digest", "_last", "_read_last")

    def __init__(
        self,
        current: tuple[str, ...],
        last: Records | None = None,
        *,
        digest: str | None = None,
        read_last: Callable[[], Records | None] | None = None,
    ) -> None:
        self.current = current
        self.digest = digest
        self._last = last
        self._read_last = read_last

    @property
    def last(self) -> Records | None:
        """The last records (read now, on the connection of ``read_states``, if not yet)."""
        if self._read_last is not None:
            try:
                self._last = self._read_last()
            except psycopg2.Error as error:
                raise _failure(error) from error
            self._read_last = None
        return self._last


# A table: (version table, schema or None).
Table = tuple[str, "str | None"]


def read_states(conn: Any, tables: Sequence[Table]) -> list[ComponentState | ManageDbError]:
    """The state of each table's component, in order; an error in place of a state that could
    not be read (the others are still read). ``conn`` must stay open while ``last`` is read."""
    if not tables:
        return []
    try:
        return _read_together(conn, tables)
    except (errors.UndefinedTable, errors.InsufficientPrivilege):
        pass  # some table is missing or unreadable: read them one by one, each says its own
    except psycopg2.Error as error:
        return [_failure(error)] * len(tables)
    return [read_state(conn, version_table, schema) for version_table, schema in tables]


def read_state(conn: Any, version_table: str, schema: str | None) -> ComponentState | ManageDbError:
    """One component's state, table by table (a missing table reads as empty)."""
    from manage_db.dao import history as history_table

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


def _read_together(conn: Any, tables: Sequence[Table]) -> list[ComponentState | ManageDbError]:
    parts = []
    for index, (version_table, schema) in enumerate(tables):
        parts.append(
            sql.SQL(
                "SELECT {index}, version_num::text, NULL FROM {versions}"
                " UNION ALL SELECT {index}, NULL, encode(sha256(convert_to(coalesce(string_agg("
                "row(id, revision, direction, checksum, outcome)::text, ',' ORDER BY id), ''),"
                " 'UTF8')), 'hex') FROM {history}"
            ).format(
                index=sql.Literal(index),
                versions=qualified(version_table, schema),
                history=qualified(history_table(version_table), schema),
            )
        )
    with conn.cursor() as cur:
        cur.execute(sql.SQL(" UNION ALL ").join(parts))
        rows = cur.fetchall()
    current: list[list[str]] = [[] for _ in tables]
    digests: list[str] = ["" for _ in tables]
    for index, version, digest in rows:
        if digest is None:
            current[index].append(version)
        else:
            digests[index] = digest
    states: list[ComponentState | ManageDbError] = []
    for (version_table, schema), applied, digest in zip(tables, current, digests, strict=True):
        heads = tuple(sorted(applied))
        states.append(
            ComponentState(
                heads,
                digest=json.dumps([heads, digest]),
                read_last=_reader(conn, version_table, schema),
            )
        )
    return states


def _reader(conn: Any, version_table: str, schema: str | None) -> Callable[[], Records | None]:
    def read() -> Records | None:
        from manage_db.dao import history as history_table

        return history_table.read_last_records(conn, version_table, schema)

    return read
