"""set-not-null: ALTER COLUMN ... SET NOT NULL on an existing table.

Why: PostgreSQL scans the whole table to check it, holding an ACCESS EXCLUSIVE lock.
Instead: ``ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID``, then ``VALIDATE CONSTRAINT c``
(a light lock); PostgreSQL 12+ then sets NOT NULL without a scan.
"""

from collections.abc import Iterator

from manage_db.lint.locks import ACCESS_EXCLUSIVE, alter_table_commands, relation_name
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.nodes import enum_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    table = relation_name(getattr(statement.node, "relation", None))
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        if enum_name(command.subtype) == "AT_SetNotNull":
            yield (
                f"SET NOT NULL on {command.name} of existing table {table} scans it under an "
                f"{ACCESS_EXCLUSIVE}"
            )


RULE = StatementRule(
    code="MDB505",
    name="set-not-null",
    severity=WARNING,
    hint="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
