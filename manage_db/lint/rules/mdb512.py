"""drop-index-not-concurrently: DROP INDEX without CONCURRENTLY, of an index the revision did
not create.

Why: a plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: it waits behind
every query on it, and every query waits behind it.
Instead: ``DROP INDEX CONCURRENTLY`` outside the transaction:
``with op.get_context().autocommit_block(): op.drop_index(..., postgresql_concurrently=True)``.
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE
from manage_db.sql.nodes import enum_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    node = statement.node
    if enum_name(node.removeType) != "OBJECT_INDEX" or node.concurrent:
        return
    for names in node.objects or ():
        index = names[-1].sval
        if index not in state.indexes_created:
            yield f"DROP INDEX {index} takes an {ACCESS_EXCLUSIVE} on its table"


RULE = StatementRule(
    code="MDB512",
    name="drop-index-not-concurrently",
    severity=WARNING,
    hint="DROP INDEX CONCURRENTLY inside op.get_context().autocommit_block()",
    phases=("upgrade", "sql"),
    node_types=frozenset({"DropStmt"}),
    check=check,
)
