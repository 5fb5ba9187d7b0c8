"""constraint-builds-index: ADD UNIQUE or PRIMARY KEY (or EXCLUDE) on an existing table without
USING INDEX.

Why: PostgreSQL builds the constraint's index then and there, under the ACCESS EXCLUSIVE lock of
the ALTER TABLE: no reads nor writes for as long as the build takes. The same for a column added
with ``UNIQUE`` or ``PRIMARY KEY``.
Instead: ``CREATE UNIQUE INDEX CONCURRENTLY`` (in an ``autocommit_block()``), then
``ADD CONSTRAINT c UNIQUE USING INDEX i`` (or ``PRIMARY KEY USING INDEX i``), which is instant.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE, alter_table_commands, relation_name
from manage_db.sql.nodes import enum_name

_KINDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY", "CONSTR_EXCLUSION": "EXCLUDE"}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    table = relation_name(statement.node.relation)
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        subtype = enum_name(command.subtype)
        if subtype == "AT_AddConstraint":
            what = _KINDS.get(enum_name(command.def_.contype))
            if what and not command.def_.indexname:
                yield (
                    f"ADD {what} on existing table {table} builds its index under an "
                    f"{ACCESS_EXCLUSIVE}"
                )
        elif subtype == "AT_AddColumn":
            yield from _column_constraints(table, command.def_)


def _column_constraints(table: str | None, column: Any) -> Iterator[str]:
    for constraint in column.constraints or ():
        what = _KINDS.get(enum_name(constraint.contype))
        if what:
            yield (
                f"ADD COLUMN {column.colname} {what} builds an index on existing table {table} "
                f"under an {ACCESS_EXCLUSIVE}"
            )


RULE = StatementRule(
    code="MDB511",
    name="constraint-builds-index",
    severity=WARNING,
    hint="CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
