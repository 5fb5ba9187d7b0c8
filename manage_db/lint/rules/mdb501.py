"""create-index-not-concurrently: CREATE INDEX on an existing table without CONCURRENTLY.

Why: a plain CREATE INDEX holds a SHARE lock for the whole build, so every write to a busy
table waits minutes behind it.
Instead: ``CREATE INDEX CONCURRENTLY`` outside the transaction:
``with op.get_context().autocommit_block(): op.create_index(..., postgresql_concurrently=True)``.
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import SHARE, relation_name
from manage_db.sql.nodes import node_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    node = statement.node
    if node_name(node) == "IndexStmt" and not node.concurrent:
        table = relation_name(node.relation)
        if table not in state.fresh_tables:
            yield f"CREATE INDEX on existing table {table} takes a {SHARE} until it is built"


RULE = StatementRule(
    code="MDB501",
    name="create-index-not-concurrently",
    severity=WARNING,
    hint="CREATE INDEX CONCURRENTLY inside op.get_context().autocommit_block()",
    phases=("upgrade", "sql"),
    node_types=frozenset({"IndexStmt"}),
    check=check,
)
