"""alter-column-type: ALTER COLUMN ... TYPE on an existing table.

Why: most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock, and
running code may not understand the new type.
Instead: add a new column, backfill it in batches, switch the code, drop the old one later.
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
        if enum_name(command.subtype) == "AT_AlterColumnType":
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
