"""rename: RENAME of an existing table or column.

Why: the daemons of the previous release keep using the old name while the upgrade runs, and
the rename waits for an ACCESS EXCLUSIVE lock.
Instead: add the new column (or a view), write both, switch the code, drop the old one later.
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE, relation_name
from manage_db.sql.nodes import enum_name, node_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    node = statement.node
    if node_name(node) != "RenameStmt" or node.relation is None:
        return
    table = relation_name(node.relation)
    kind = enum_name(node.renameType)
    if table in state.fresh_tables:
        return
    if kind == "OBJECT_TABLE":
        yield f"RENAME of existing table {table} to {node.newname} takes an {ACCESS_EXCLUSIVE}"
    elif kind == "OBJECT_COLUMN":
        yield (
            f"RENAME of column {node.subname} of existing table {table} takes an {ACCESS_EXCLUSIVE}"
        )


RULE = StatementRule(
    code="MDB508",
    name="rename",
    severity=WARNING,
    hint="add the new name alongside, switch the code, remove the old name in a later release",
    phases=("upgrade", "sql"),
    node_types=frozenset({"RenameStmt"}),
    check=check,
)
