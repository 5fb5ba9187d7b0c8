"""set-not-null: ALTER COLUMN ... SET NOT NULL on an existing table, with no validated CHECK
(col IS NOT NULL) before it.

Why: PostgreSQL scans the whole table to check it, holding an ACCESS EXCLUSIVE lock. After a
validated ``CHECK (col IS NOT NULL)`` (PostgreSQL 12+) it skips the scan: not reported then, nor
after a ``VALIDATE CONSTRAINT`` of a constraint an earlier revision added, nor when earlier
revisions (ancestors) added and validated that check.
Instead: ``ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID``, then ``VALIDATE CONSTRAINT c``
(a light lock) in another transaction, then SET NOT NULL (and DROP CONSTRAINT c).
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Settled, Statement, StatementRule, UnitState
from manage_db.lint.unit_facts import not_null_fact
from manage_db.sql.locks import ACCESS_EXCLUSIVE


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    validated = state.constraints.validated_not_null
    for table, command in existing_table_commands(statement, state, "AT_SetNotNull"):
        if (table, command.name) in validated or (table, "") in validated:
            continue  # PostgreSQL 12+ uses the validated CHECK: no scan
        message = (
            f"SET NOT NULL on {command.name} of existing table {table} scans it under an "
            f"{ACCESS_EXCLUSIVE}"
        )
        # moot when an earlier revision validated such a check
        yield Settled.unless(message, not_null_fact(table or "", command.name))


RULE = StatementRule(
    code="MDB505",
    name="set-not-null",
    severity=WARNING,
    hint="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
