"""Live facts about tables for the plan, read in one read-only transaction.

Every query here is a plain SELECT (ACCESS SHARE at most); identifiers are quoted with
psycopg2.sql. Data checks run under a savepoint, so one that times out leaves the others able
to run; their error is returned, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg2 import sql

SAMPLE_KEYS = 5


def database_error() -> type[Exception]:
    """The driver's base error, for callers that turn it into a message."""
    import psycopg2

    return psycopg2.Error


def begin_read_only(conn: Any, statement_timeout_ms: int, lock_timeout_ms: int) -> None:
    """Open the plan's transaction: read only, every statement and lock wait bounded."""
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
        cur.execute(
            "SELECT set_config('statement_timeout', %s, true)", (str(statement_timeout_ms),)
        )
        cur.execute("SELECT set_config('lock_timeout', %s, true)", (str(lock_timeout_ms),))


def end(conn: Any) -> None:
    """Roll the read-only transaction back and close the connection."""
    try:
        conn.rollback()
    finally:
        conn.close()


def existing_tables(conn: Any, names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Tables among ``names`` that exist on the search path: (estimated rows, estimated bytes).

    From the catalog's statistics only (reltuples, relpages of the table, its TOAST table and
    indexes): no lock is taken, so a table someone holds exclusively is still described.
    """
    if not names:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT n.name, CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint"
            " ELSE coalesce(s.n_live_tup, 0) END,"
            " (c.relpages + coalesce(t.relpages, 0) + coalesce((SELECT sum(i.relpages)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = c.oid), 0))::bigint * current_setting('block_size')::bigint"
            " FROM unnest(%s::text[]) AS n(name)"
            " JOIN pg_class c ON c.oid = to_regclass(quote_ident(n.name))"
            " AND c.relkind IN ('r', 'p')"
            " LEFT JOIN pg_class t ON t.oid = c.reltoastrelid"
            " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid",
            (list(names),),
        )
        return {name: (int(rows), int(size)) for name, rows, size in cur.fetchall()}


def lock_holders(conn: Any, names: Sequence[str]) -> dict[str, list[str]]:
    """Other sessions holding or waiting for locks on these tables, by table."""
    if not names:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT n.name, l.pid, coalesce(a.application_name, ''), l.mode, l.granted,"
            " coalesce(a.state, '')"
            " FROM unnest(%s::text[]) AS n(name)"
            " JOIN pg_locks l ON l.relation = to_regclass(quote_ident(n.name))"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.pid <> pg_backend_pid() ORDER BY n.name, l.pid",
            (list(names),),
        )
        holders: dict[str, list[str]] = {}
        for name, pid, application, mode, granted, state in cur.fetchall():
            how = "granted" if granted else "waiting"
            who = f"pid {pid}" + (f" ({application})" if application else "")
            holders.setdefault(name, []).append(f"{who} {mode} {how}, {state or 'unknown'}")
        return holders


def long_transactions(conn: Any, min_seconds: float) -> list[str]:
    """Other sessions of this database whose transaction is older than ``min_seconds``."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pid, coalesce(application_name, ''), coalesce(state, ''),"
            " extract(epoch FROM now() - xact_start)::bigint"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            " AND now() - xact_start > make_interval(secs => %s) ORDER BY xact_start",
            (min_seconds,),
        )
        return [
            f"pid {pid}" + (f" ({app})" if app else "") + f" {state}, transaction open {age} s"
            for pid, app, state, age in cur.fetchall()
        ]


def table_columns(conn: Any, table: str) -> set[str]:
    """Column names of an existing table."""
    query = (
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident(%s))"
        " AND attnum > 0 AND NOT attisdropped"
    )
    return set(_names(conn, query, table))


def primary_key(conn: Any, table: str) -> list[str]:
    """The primary key's columns of an existing table, in key order ([] when it has none)."""
    query = (
        "SELECT a.attname FROM pg_index i"
        " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = to_regclass(quote_ident(%s)) AND i.indisprimary ORDER BY k.n"
    )
    return _names(conn, query, table)


def volatile_functions(conn: Any, names: Sequence[str]) -> set[str]:
    """Which of these function names are volatile in this database."""
    if not names:
        return set()
    query = "SELECT DISTINCT proname FROM pg_proc WHERE proname = ANY(%s) AND provolatile = 'v'"
    return set(_names(conn, query, list(names)))


def _names(conn: Any, query: str, argument: Any) -> list[str]:
    """The first column of a query's rows, in their order."""
    with conn.cursor() as cur:
        cur.execute(query, (argument,))
        return [row[0] for row in cur.fetchall()]


def _key(key_columns: Sequence[str], alias: str = "") -> sql.Composable:
    if not key_columns:
        return sql.SQL("{}ctid::text").format(sql.SQL(f"{alias}." if alias else ""))
    parts = [
        sql.SQL("{}{}::text").format(sql.SQL(f"{alias}." if alias else ""), sql.Identifier(c))
        for c in key_columns
    ]
    return sql.SQL("concat_ws(',', {})").format(sql.SQL(", ").join(parts))


def _guarded(conn: Any, query: sql.Composable, args: Sequence[Any] = ()) -> tuple[list, str | None]:
    """Rows of a query under a savepoint; on error, no rows and the server's message."""
    import psycopg2

    with conn.cursor() as cur:
        cur.execute("SAVEPOINT plan_check")
        try:
            cur.execute(query, args or None)
            rows = cur.fetchall()
        except psycopg2.Error as error:
            cur.execute("ROLLBACK TO SAVEPOINT plan_check")
            message = (getattr(error, "pgerror", None) or str(error)).strip().splitlines()
            return [], message[0].removeprefix("ERROR:").strip() if message else "error"
        cur.execute("RELEASE SAVEPOINT plan_check")
        return rows, None


def _counted(conn: Any, where: sql.Composable, table: str, key: Sequence[str], alias: str = "t"):
    query = sql.SQL(
        "SELECT count(*), (array_agg({key} ORDER BY {order}))[1:{n}]"
        " FROM {table} AS {alias} WHERE {where}"
    ).format(
        key=_key(key, alias),
        order=sql.SQL(", ").join(sql.Identifier(alias, c) for c in key) if key else sql.SQL("ctid"),
        n=sql.Literal(SAMPLE_KEYS),
        table=sql.Identifier(table),
        alias=sql.Identifier(alias),
        where=where,
    )
    rows, error = _guarded(conn, query)
    if error:
        return None, [], error
    count, samples = rows[0]
    return int(count), list(samples or []), None


def null_rows(conn: Any, table: str, column: str, key: Sequence[str]):
    """(count, sample keys, error) of rows where ``column`` is NULL."""
    where = sql.SQL("t.{} IS NULL").format(sql.Identifier(column))
    return _counted(conn, where, table, key)


def all_rows(conn: Any, table: str, key: Sequence[str]):
    """(count, sample keys, error) of every row of the table."""
    return _counted(conn, sql.SQL("true"), table, key)


def duplicate_rows(conn: Any, table: str, columns: Sequence[str], include_nulls: bool = False):
    """(duplicate groups, rows in them, sample values, error) for a would-be unique key."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    not_null = sql.SQL(" AND ").join(
        sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns
    )
    query = sql.SQL(
        "SELECT count(*), coalesce(sum(n), 0), (array_agg(k ORDER BY k))[1:{n}] FROM"
        " (SELECT concat_ws(',', {texts}) AS k, count(*) AS n FROM {table} {where}"
        " GROUP BY {cols} HAVING count(*) > 1) AS groups"
    ).format(
        n=sql.Literal(SAMPLE_KEYS),
        texts=sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        table=sql.Identifier(table),
        where=sql.SQL("") if include_nulls else sql.SQL("WHERE ") + not_null,
        cols=cols,
    )
    rows, error = _guarded(conn, query)
    if error:
        return None, None, [], error
    groups, count, samples = rows[0]
    return int(groups), int(count), list(samples or []), None


def orphan_rows(
    conn: Any,
    table: str,
    columns: Sequence[str],
    ref_table: str,
    ref_columns: Sequence[str],
    key: Sequence[str],
):
    """(count, sample keys, error) of rows whose foreign key has no referenced row."""
    not_null = sql.SQL(" AND ").join(
        sql.SQL("t.{} IS NOT NULL").format(sql.Identifier(c)) for c in columns
    )
    match = sql.SQL(" AND ").join(
        sql.SQL("r.{} = t.{}").format(sql.Identifier(r), sql.Identifier(c))
        for c, r in zip(columns, ref_columns, strict=True)
    )
    where = sql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {} AS r WHERE {})").format(
        not_null, sql.Identifier(ref_table), match
    )
    return _counted(conn, where, table, key)


def check_violations(conn: Any, table: str, expression: str, key: Sequence[str]):
    """(count, sample keys, error) of rows a CHECK expression (deparsed) rejects."""
    # The expression is the revision's own, deparsed by PostgreSQL's grammar, run read-only.
    where = sql.SQL("NOT ({})").format(sql.SQL(expression))
    return _counted(conn, where, table, key, alias=table)


def cast_failures(conn: Any, table: str, column: str, type_sql: str, limit: int = 200):
    """(failing rows, samples, the error, lower bound?) of ``ALTER COLUMN TYPE`` without USING.

    One cast of the whole column first; only when it fails, each distinct value (up to ``limit``)
    is tried under its own savepoint, to count and name them: past ``limit`` distinct values the
    count is a lower bound (PostgreSQL 15 has no cast that reports instead of failing).
    """
    target = sql.SQL(type_sql)
    whole = sql.SQL("SELECT count({}::{}) FROM {}").format(
        sql.Identifier(column), target, sql.Identifier(table)
    )
    _, error = _guarded(conn, whole)
    if error is None:
        return 0, [], None, False
    if "timeout" in error:
        return None, [], error, False
    values, listing_error = _guarded(
        conn,
        sql.SQL("SELECT DISTINCT {}::text FROM {} WHERE {} IS NOT NULL LIMIT {}").format(
            sql.Identifier(column),
            sql.Identifier(table),
            sql.Identifier(column),
            sql.Literal(limit),
        ),
    )
    if listing_error:
        return None, [], error, False
    failing = []
    for (value,) in values:
        # The cast the migration would run: from the column's own type, on a row holding value.
        one = sql.SQL("SELECT {}::{} FROM {} WHERE {}::text = %s LIMIT 1").format(
            sql.Identifier(column), target, sql.Identifier(table), sql.Identifier(column)
        )
        _, value_error = _guarded(conn, one, (value,))
        if value_error:
            failing.append(value)
    if not failing:
        return None, [], error, False
    rows, count_error = _guarded(
        conn,
        sql.SQL("SELECT count(*) FROM {} WHERE {}::text = ANY(%s)").format(
            sql.Identifier(table), sql.Identifier(column)
        ),
        (failing,),
    )
    exhausted = len(values) == limit
    return (None if count_error else int(rows[0][0])), failing[:SAMPLE_KEYS], error, exhausted
