"""What a squash reads from a built database, and its schema as ``pg_dump`` writes it.

Rows are read as text in physical order (``ctid``): two builds of the same history insert the
same rows in the same order, so rows line up one to one between them, and the baseline inserts
them in that order again. The schema comes from ``pg_dump --schema-only`` (pre-data and
post-data sections: the rows go in between, before the constraints, indexes and triggers),
without owners, privileges, extensions, the version and history tables, or pg_dump's session
settings; statements are told apart by PostgreSQL's own grammar (pglast).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manage_db.errors import ConfigError, ConnectionFailed, ManageDbError
from manage_db.sql import in_lists
from manage_db.squash.model import BuiltState, TableRows

if TYPE_CHECKING:
    from psycopg2.extensions import connection as Connection

_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
    AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s)
"""

_TABLES = f"""
SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND {_SCHEMAS}
AND NOT c.relname = ANY(%(excluded)s::text[])
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 2
"""

_COLUMNS = """
SELECT attrelid, attname, format_type(atttypid, atttypmod), attgenerated <> '', attidentity
FROM pg_attribute WHERE attrelid = ANY(%(tables)s::oid[]) AND attnum > 0 AND NOT attisdropped
ORDER BY attrelid, attnum
"""

_SEQUENCES = f"""
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND {_SCHEMAS}
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                AND d.objid = c.oid AND d.deptype = 'e')
AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.refclassid = 'pg_class'::regclass AND t.relname = ANY(%(excluded)s::text[]))
ORDER BY 1
"""


def read_state(connection: Connection, schema: str | None, excluded: Sequence[str]) -> BuiltState:
    """Column order, sequence values and rows of every table of a built database."""
    params = {"schema": schema, "excluded": list(excluded)}
    with connection.cursor() as cursor:
        cursor.execute("SET search_path = ''")
        cursor.execute(_TABLES, params)
        tables = cursor.fetchall()
        cursor.execute(_COLUMNS, {"tables": [oid for oid, _ in tables]})
        columns: dict[int, list[tuple[str, str, bool, str]]] = {}
        for oid, name, type_name, generated, identity in cursor.fetchall():
            columns.setdefault(oid, []).append((name, type_name, generated, identity))
        cursor.execute(_SEQUENCES, params)
        sequences = _sequence_values(cursor, [name for (name,) in cursor.fetchall()])
        rows = {}
        order = {}
        for oid, name in tables:
            table_columns = columns.get(oid, [])
            order[name] = tuple(c[0] for c in table_columns)
            rows[name] = _table_rows(cursor, name, table_columns)
    return BuiltState(order, sequences, rows)


def _sequence_values(cursor: Any, names: list[str]) -> dict[str, tuple[int, bool]]:
    if not names:
        return {}
    parts = [f"SELECT {i}, last_value, is_called FROM {name}" for i, name in enumerate(names)]
    cursor.execute(" UNION ALL ".join(parts))
    return {names[i]: (int(value), bool(called)) for i, value, called in cursor.fetchall()}


def _table_rows(cursor: Any, name: str, columns: list[tuple[str, str, bool, str]]) -> TableRows:
    from psycopg2 import sql

    kept = [c for c in columns if not c[2]]
    if kept:
        values = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c[0])) for c in kept)
        cursor.execute(sql.SQL("SELECT {} FROM {} ORDER BY ctid").format(values, sql.SQL(name)))
        rows = tuple(tuple(row) for row in cursor.fetchall())
    else:
        rows = ()
    return TableRows(
        name,
        tuple(c[0] for c in kept),
        tuple(c[1] for c in kept),
        any(c[3] == "a" for c in kept),
        rows,
    )


_EXCLUDED = f"""
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_SCHEMAS} AND (
    (c.relkind = 'r' AND c.relname = ANY(%(excluded)s::text[]))
    OR (c.relkind = 'S' AND EXISTS (
        SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
        AND d.refclassid = 'pg_class'::regclass AND t.relname = ANY(%(excluded)s::text[])))
)
ORDER BY 1
"""


def excluded_relations(
    connection: Connection, schema: str | None, excluded: Sequence[str]
) -> list[str]:
    """The version and history tables and the sequences they own, schema-qualified."""
    with connection.cursor() as cursor:
        cursor.execute(_EXCLUDED, {"schema": schema, "excluded": list(excluded)})
        return [name for (name,) in cursor.fetchall()]


def extensions(connection: Connection) -> list[str]:
    """The extensions of the database (plpgsql aside), sorted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


class SchemaDump:
    """``pg_dump --schema-only`` of one section (``pre-data`` or ``post-data``), running in the
    background into ``path`` until :meth:`text` is asked for.

    ``excluded``: tables and sequences left out (schema-qualified). The password travels in the
    environment, never on the command line.
    """

    def __init__(
        self,
        admin_uri: str,
        section: str,
        excluded: Sequence[str],
        path: Path,
        schema: str | None = None,
    ):
        from psycopg2.extensions import make_dsn, parse_dsn

        params = dict(parse_dsn(admin_uri))
        password = params.pop("password", None)
        env = dict(os.environ)
        if password:
            env["PGPASSWORD"] = password
        command = [
            "pg_dump",
            "--schema-only",
            f"--section={section}",
            "--no-owner",
            "--no-privileges",
            "--no-tablespaces",
            "--no-security-labels",
            "--no-publications",
            "--no-subscriptions",
            f"--dbname={make_dsn(**params)}",
            *(f"--exclude-table={name}" for name in excluded),
            *([f"--schema={_pattern(schema)}"] if schema else []),
        ]
        self._path = path
        try:
            with open(path, "wb") as output:
                self._process = subprocess.Popen(
                    command, stdout=output, stderr=subprocess.PIPE, env=env
                )
        except FileNotFoundError as error:
            raise ConfigError("squash needs pg_dump (apt install postgresql-client)") from error

    def stop(self) -> None:
        """End pg_dump if it still runs (the squash stopped before needing its output)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        elif self._process.stderr is not None and not self._process.stderr.closed:
            self._process.stderr.close()

    def text(self) -> str:
        """The section's text, once pg_dump is done."""
        try:
            _, errors = self._process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise ConnectionFailed("pg_dump did not finish in 600 s") from None
        if self._process.returncode != 0:
            lines = errors.decode("utf-8", "replace").strip().splitlines()
            raise ConnectionFailed(
                f"pg_dump failed: {lines[-1] if lines else self._process.returncode}"
            )
        return self._path.read_text(encoding="utf-8")


def _pattern(name: str) -> str:
    """A pg_dump pattern matching exactly ``name`` (quoted: no wildcard, case kept)."""
    return '"' + name.replace('"', '""') + '"'


def dump_statements(text: str, schema: str | None = None) -> list[str]:
    """The statements of a pg_dump section a baseline runs: no session settings, no extension
    and no comment on one, not the creation of the component's own ``schema`` (init makes it),
    without pg_dump's comments; each ending with its semicolon."""
    from manage_db.sql.parse import SqlSyntaxError, blank_psql_script, parse_statements

    text = blank_psql_script(text)  # pg_dump's restrict meta-commands
    try:
        statements = parse_statements(text)
    except SqlSyntaxError as error:
        raise ManageDbError(f"pg_dump wrote what pglast cannot read: {error}") from error
    kept = []
    for statement in statements:
        node = statement.node
        kind = node.node_type
        if kind in ("VariableSetStmt", "CreateExtensionStmt", "AlterExtensionStmt"):
            continue
        if kind == "SelectStmt" and _calls_set_config(node):
            continue  # pg_dump's SELECT pg_catalog.set_config('search_path', '', false)
        if kind == "CommentStmt" and node.objtype == "OBJECT_EXTENSION":
            continue
        if kind == "CreateSchemaStmt" and schema is not None and node.schemaname == schema:
            continue
        body = text[statement.offset : statement.offset + len(statement.text)].rstrip()
        body = body if body.endswith(";") else body + ";"
        kept.append(in_lists.rewrite(body, kind))
    return kept


def _calls_set_config(node: Any) -> bool:
    for target in node.targetList or ():
        call = target.val
        if call is not None and call.node_type == "FuncCall":
            if any(getattr(part, "sval", None) == "set_config" for part in call.funcname or ()):
                return True
    return False
