"""Read ``op.*`` calls from the syntax tree when a revision cannot be rendered offline.

Each call alembic would turn into DDL is written as the SQL it stands for (as far as the source
says: names given as literals or module constants, other names as the Python expression), so
the statement rules see it just like rendered SQL. :func:`sql_of` returns ``None`` for a call it
does not understand; lint reports those (MDB601) as not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection

from manage_db.sql.pysource import OpCall

# Calls that emit no DDL a rule looks at (or only data), and calls whose SQL is read elsewhere
# (op.execute strings are SQL strings of the revision).
_NOTHING_TO_CHECK = frozenset(
    {
        "get_bind",
        "get_context",
        "f",
        "inline_literal",
        "batch_alter_table",
        "bulk_insert",
        "create_table_comment",
        "drop_table_comment",
        "invoke",
        "implementation_for",
        "run_async",
    }
)
_TYPES = {
    "integer": "integer",
    "biginteger": "bigint",
    "smallinteger": "smallint",
    "boolean": "boolean",
    "text": "text",
    "unicodetext": "text",
    "string": "varchar",
    "unicode": "varchar",
    "datetime": "timestamp",
    "date": "date",
    "time": "time",
    "float": "float8",
    "numeric": "numeric",
    "json": "json",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "largebinary": "bytea",
    "interval": "interval",
}


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class _Reader:
    """Arguments of one call: literals resolved through the revision's module constants."""

    def __init__(self, call: ast.Call, constants: dict[str, ast.expr], table: ast.expr | None):
        self.args = list(call.args)
        self.keywords = {k.arg: k.value for k in call.keywords if k.arg}
        self.constants = constants
        self.table = table

    def value(self, node: ast.expr | None, depth: int = 0) -> object:
        if isinstance(node, ast.Name) and node.id in self.constants and depth < 5:
            return self.value(self.constants[node.id], depth + 1)
        if isinstance(node, ast.Constant):
            return node.value
        return ast.unparse(node) if node is not None else None

    def arg(self, index: int, name: str) -> ast.expr | None:
        if name in self.keywords:
            return self.keywords[name]
        return self.args[index] if index < len(self.args) else None

    def name(self, index: int, name: str, default: str = "x") -> str:
        value = self.value(self.arg(index, name))
        return _ident(str(value)) if value is not None else _ident(default)

    def names(self, index: int, name: str) -> str:
        node = self.arg(index, name)
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
        names = [self.value(item) for item in items if item is not None]
        return ", ".join(_ident(str(n)) for n in names) or _ident("x")

    def flag(self, name: str) -> bool:
        return self.value(self.keywords.get(name)) is True


def _column(node: ast.expr | None, reader: _Reader) -> str:
    """``"name" type [NOT NULL] [DEFAULT ...]`` of an ``sa.Column(...)`` expression."""
    if not isinstance(node, ast.Call):
        return f"{_ident('x')} text"
    column = _Reader(node, reader.constants, None)
    name = column.value(column.arg(0, "name"))
    type_sql = "text"
    for arg in node.args[1:2]:
        func = arg.func if isinstance(arg, ast.Call) else arg
        type_name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        type_sql = _TYPES.get(str(type_name).lower(), "text")
    parts = [_ident(str(name)), type_sql]
    if column.flag("primary_key"):
        parts.append("PRIMARY KEY")
    elif column.value(column.keywords.get("nullable")) is False:
        parts.append("NOT NULL")
    default = column.keywords.get("server_default")
    if default is not None and not (isinstance(default, ast.Constant) and default.value is None):
        parts.append(f"DEFAULT {_default_sql(default)}")
    return " ".join(parts)


def _default_sql(node: ast.expr) -> str:
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)  # sa.text("now()"): the SQL expression itself
    if isinstance(node, ast.Constant):
        return "'" + str(node.value).replace("'", "''") + "'"
    return "'x'"


def _with_table(call: OpCall, position: int) -> ast.Call:
    """A batch_op call with the batch's table put where op.<method> expects it."""
    if call.table is None:
        return call.call
    args = list(call.call.args)
    args.insert(min(position, len(args)), call.table)
    return ast.Call(call.call.func, args, call.call.keywords)


def _create_index(r: _Reader) -> list[str]:
    unique = "UNIQUE " if r.flag("unique") else ""
    concurrently = "CONCURRENTLY " if r.flag("postgresql_concurrently") else ""
    return [
        f"CREATE {unique}INDEX {concurrently}{r.name(0, 'index_name')} "
        f"ON {r.name(1, 'table_name')} ({r.names(2, 'columns')})"
    ]


def _drop_index(r: _Reader) -> list[str]:
    concurrently = "CONCURRENTLY " if r.flag("postgresql_concurrently") else ""
    return [f"DROP INDEX {concurrently}{r.name(0, 'index_name')}"]


def _add_column(r: _Reader) -> list[str]:
    return [f"ALTER TABLE {r.name(0, 'table_name')} ADD COLUMN {_column(r.arg(1, 'column'), r)}"]


def _alter_column(r: _Reader) -> list[str]:
    table, column = r.name(0, "table_name"), r.name(1, "column_name")
    prefix = f"ALTER TABLE {table} ALTER COLUMN {column}"
    statements = []
    if "type_" in r.keywords:
        statements.append(f"{prefix} TYPE text")
    nullable = r.value(r.keywords.get("nullable"))
    if nullable is False:
        statements.append(f"{prefix} SET NOT NULL")
    elif nullable is True:
        statements.append(f"{prefix} DROP NOT NULL")
    default = r.keywords.get("server_default")
    if default is not None:
        is_none = isinstance(default, ast.Constant) and default.value is None
        if is_none:
            statements.append(f"{prefix} DROP DEFAULT")
        elif not (isinstance(default, ast.Constant) and default.value is False):
            statements.append(f"{prefix} SET DEFAULT {_default_sql(default)}")
    if "new_column_name" in r.keywords:
        new = r.name(-1, "new_column_name")
        statements.append(f"ALTER TABLE {table} RENAME COLUMN {column} TO {new}")
    return statements


def _constraint(
    kind: Callable[[_Reader], str], table_at: int = 1
) -> Callable[[_Reader], list[str]]:
    def build(r: _Reader) -> list[str]:
        name = r.name(0, "constraint_name", "constraint")
        table = r.name(table_at, "table_name" if table_at == 1 else "source_table")
        return [f"ALTER TABLE {table} ADD CONSTRAINT {name} {kind(r)}"]

    return build


def _check(r: _Reader) -> str:
    condition = r.value(r.arg(2, "condition"))
    return f"CHECK ({condition if isinstance(condition, str) else 'true'})"


_TRANSLATORS: dict[str, tuple[int, Callable[[_Reader], list[str]]]] = {
    # method: (where a batch_op call lacks the table, how to write it)
    "create_index": (1, _create_index),
    "drop_index": (1, _drop_index),
    "add_column": (0, _add_column),
    "alter_column": (0, _alter_column),
    "drop_column": (
        0,
        lambda r: [f"ALTER TABLE {r.name(0, 'table_name')} DROP COLUMN {r.name(1, 'column_name')}"],
    ),
    "create_table": (
        0,
        lambda r: [
            f"CREATE TABLE {r.name(0, 'table_name')} ("
            + ", ".join(
                [_column(a, r) for a in r.args[1:] if _is_column(a)] or [f"{_ident('x')} text"]
            )
            + ")"
        ],
    ),
    "drop_table": (0, lambda r: [f"DROP TABLE {r.name(0, 'table_name')}"]),
    "rename_table": (
        0,
        lambda r: [
            f"ALTER TABLE {r.name(0, 'old_table_name')} RENAME TO {r.name(1, 'new_table_name')}"
        ],
    ),
    "create_foreign_key": (
        1,
        _constraint(
            lambda r: (
                f"FOREIGN KEY ({r.names(3, 'local_cols')}) "
                f"REFERENCES {r.name(2, 'referent_table')} ({r.names(4, 'remote_cols')})"
            ),
            table_at=1,
        ),
    ),
    "create_unique_constraint": (1, _constraint(lambda r: f"UNIQUE ({r.names(2, 'columns')})")),
    "create_primary_key": (1, _constraint(lambda r: f"PRIMARY KEY ({r.names(2, 'columns')})")),
    "create_check_constraint": (1, _constraint(_check)),
    "drop_constraint": (
        1,
        lambda r: [
            f"ALTER TABLE {r.name(1, 'table_name')} DROP CONSTRAINT {r.name(0, 'constraint_name')}"
        ],
    ),
}


def _is_column(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Column"
    )


def sql_of(
    call: OpCall, constants: dict[str, ast.expr], string_names: Collection[str] = ()
) -> list[str] | None:
    """The SQL an op.* call stands for ([] when there is nothing to check), None if unknown.

    ``string_names``: names the revision assigns strings to (SQL only known at run time).
    """
    if call.method in _NOTHING_TO_CHECK:
        return []
    if call.method == "execute":
        # Strings are read as the revision's SQL; an SQLAlchemy construct is data (DML).
        argument = call.call.args[0] if call.call.args else None
        if isinstance(argument, ast.Name) and argument.id in string_names:
            return None  # a string lint could not resolve (a resolved one is a SQL string)
        return []
    if call.method not in _TRANSLATORS:
        return None
    position, translate = _TRANSLATORS[call.method]
    return translate(_Reader(_with_table(call, position), constants, call.table))
