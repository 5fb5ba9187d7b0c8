"""concurrently-in-transaction: CREATE/DROP INDEX CONCURRENTLY inside a transaction.

Why: PostgreSQL refuses it ("cannot run inside a transaction block"), and alembic runs every
revision in a transaction, so the upgrade fails. Reported as an error: it always fails.
Instead: run it in ``with op.get_context().autocommit_block():`` (in a .sql file: outside
BEGIN/COMMIT).
"""

from collections.abc import Iterator

from manage_db.lint.model import ERROR, Statement, StatementRule, UnitState
from manage_db.lint.rules.mdb513 import concurrently
from manage_db.sql.nodes import enum_name, node_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    if not state.in_transaction:
        return
    node = statement.node
    kind = node_name(node)
    if kind == "IndexStmt" and node.concurrent:
        yield "CREATE INDEX CONCURRENTLY inside a transaction fails"
    elif kind == "DropStmt" and node.concurrent:
        what = enum_name(node.removeType).removeprefix("OBJECT_")
        yield f"DROP {what} CONCURRENTLY inside a transaction fails"
    elif kind == "ReindexStmt" and concurrently(node.params):
        yield "REINDEX CONCURRENTLY inside a transaction fails"


RULE = StatementRule(
    code="MDB509",
    name="concurrently-in-transaction",
    severity=ERROR,
    hint="wrap it in `with op.get_context().autocommit_block():`",
    phases=("upgrade", "downgrade", "sql"),
    node_types=frozenset({"IndexStmt", "DropStmt", "ReindexStmt"}),
    check=check,
)
