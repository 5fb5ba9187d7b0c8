"""reindex-not-concurrently: REINDEX of a table, index, schema or database without CONCURRENTLY.

Why: a plain REINDEX blocks writes to the table (and reads that use the index) until every index
is rebuilt: minutes on a busy table.
Instead: ``REINDEX ... CONCURRENTLY`` (PostgreSQL 12+) inside
``with op.get_context().autocommit_block():``.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.nodes import enum_name, node_name

_OFF = frozenset({"false", "off", "0", "no"})


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    node = statement.node
    kind = enum_name(node.kind).removeprefix("REINDEX_OBJECT_")
    if kind == "SYSTEM" or concurrently(node.params):
        return  # system catalogs cannot be reindexed concurrently
    name = getattr(node.relation, "relname", None) or node.name or ""
    if kind in ("TABLE", "INDEX") and name in state.fresh_tables | state.indexes_created:
        return
    yield f"REINDEX {kind} {name} without CONCURRENTLY blocks writes until it is rebuilt"


def concurrently(params: Any) -> bool:
    """Whether REINDEX's options say CONCURRENTLY (and not CONCURRENTLY false)."""
    for option in params or ():
        if getattr(option, "defname", "") == "concurrently":
            value = option.arg
            if value is None:
                return True
            if node_name(value) == "Integer":
                return bool(value.ival)
            return str(value.sval).lower() not in _OFF
    return False


RULE = StatementRule(
    code="MDB513",
    name="reindex-not-concurrently",
    severity=WARNING,
    hint="REINDEX ... CONCURRENTLY inside op.get_context().autocommit_block()",
    phases=("upgrade", "sql"),
    node_types=frozenset({"ReindexStmt"}),
    check=check,
)
