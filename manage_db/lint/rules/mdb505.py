"""set-not-null: ALTER COLUMN ... SET NOT NULL on an existing table.

Why: PostgreSQL scans the whole table to check it, holding an ACCESS EXCLUSIVE lock.
Instead: ``ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID``, then ``VALIDATE CONSTRAINT c``
(a light lock); PostgreSQL 12+ then sets NOT NULL without a scan.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_SetNotNull"):
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
