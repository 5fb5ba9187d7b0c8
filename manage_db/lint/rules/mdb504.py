"""alter-column-type: ALTER COLUMN ... TYPE on an existing table.

Why: most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock, and
running code may not understand the new type.
Instead: add a new column, backfill it in batches, switch the code, drop the old one later.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_AlterColumnType"):
        yield (
            f"ALTER COLUMN {command.name} TYPE on existing table {table} takes an "
            f"{ACCESS_EXCLUSIVE} and may rewrite it"
        )


RULE = StatementRule(
    code="MDB504",
    name="alter-column-type",
    severity=WARNING,
    hint="add a new column, backfill in batches, switch the code, drop the old column later",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
