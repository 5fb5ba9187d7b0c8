"""constraint-builds-index: ADD UNIQUE or PRIMARY KEY (or EXCLUDE) on an existing table without
USING INDEX.

Why: PostgreSQL builds the constraint's index then and there, under the ACCESS EXCLUSIVE lock of
the ALTER TABLE: no reads nor writes for as long as the build takes. The same for a column added
with ``UNIQUE`` or ``PRIMARY KEY``.
Instead: ``CREATE UNIQUE INDEX CONCURRENTLY`` (in an ``autocommit_block()``), then
``ADD CONSTRAINT c UNIQUE USING INDEX i`` (or ``PRIMARY KEY USING INDEX i``), which is instant.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.locks import ACCESS_EXCLUSIVE
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.nodes import enum_name

_KINDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY", "CONSTR_EXCLUSION": "EXCLUDE"}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_AddConstraint"):
        constraint = command.def_
        what = _KINDS.get(enum_name(constraint.contype))
        if what and not constraint.indexname:
            yield (
                f"ADD {what} on existing table {table} builds its index under an {ACCESS_EXCLUSIVE}"
            )
    for table, command in existing_table_commands(statement, state, "AT_AddColumn"):
        column = command.def_
        for constraint in column.constraints or ():
            what = _KINDS.get(enum_name(constraint.contype))
            if what:
                yield (
                    f"ADD COLUMN {column.colname} {what} builds an index on existing table "
                    f"{table} under an {ACCESS_EXCLUSIVE}"
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
