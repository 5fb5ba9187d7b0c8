"""drop-table-or-column: DROP TABLE or DROP COLUMN of something that exists.

Why: the daemons of the previous release still read it while the upgrade runs (and after a
rollback), and the drop waits for an ACCESS EXCLUSIVE lock.
Instead: stop using it in the code first; drop it in a later release.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE
from manage_db.sql.nodes import enum_name, node_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    node = statement.node
    if node_name(node) == "DropStmt" and enum_name(node.removeType) == "OBJECT_TABLE":
        for names in node.objects or ():
            table = names[-1].sval
            if table not in state.fresh_tables:
                yield f"DROP TABLE {table} takes an {ACCESS_EXCLUSIVE}; running code may use it"
        return
    for table, command in existing_table_commands(statement, state, "AT_DropColumn"):
        yield (
            f"DROP COLUMN {command.name} of existing table {table} takes an "
            f"{ACCESS_EXCLUSIVE}; running code may still use it"
        )


RULE = StatementRule(
    code="MDB507",
    name="drop-table-or-column",
    severity=WARNING,
    hint="stop using it in the code first, then drop it in a later release",
    phases=("upgrade", "sql"),
    node_types=frozenset({"DropStmt", "AlterTableStmt"}),
    check=check,
)
