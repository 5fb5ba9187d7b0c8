"""missing-lock-timeout: a lock on an existing table with no `SET lock_timeout` before it (once
per revision).

Why: a DDL lock request queues behind any long query, and every later query on the table
queues behind it: a one-second ALTER becomes a minutes-long outage. Reported once per revision.
``LOCK TABLE`` counts too (ACCESS EXCLUSIVE unless it names a weaker mode), and so do a plain
``DROP INDEX`` and ``REINDEX`` of a table or index.
Instead: ``op.execute("SET lock_timeout = '5s'")`` first in upgrade(), and retry on failure.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.rules.mdb513 import concurrently
from manage_db.sql.locks import ACCESS_EXCLUSIVE, LOCKING_STATEMENTS, SHARE, locks_taken
from manage_db.sql.nodes import enum_name, node_name

# LOCK TABLE's modes, by PostgreSQL's number (AccessShareLock = 1 ... AccessExclusiveLock = 8)
_LOCK_MODES = (
    "",
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    if state.lock_timeout_set or RULE.code in state.reported:
        return
    for table, lock in locks_taken(statement.node):
        if table not in state.fresh_tables:
            state.reported.add(RULE.code)
            yield f"no lock_timeout before the first {lock} on existing table {table}"
            return
    for name, lock, where in _index_and_explicit_locks(statement.node):
        if name not in state.fresh_tables and name not in state.indexes_created:
            state.reported.add(RULE.code)
            yield f"no lock_timeout before the first {lock} ({where})"
            return


def _index_and_explicit_locks(node: Any) -> list[tuple[str, str, str]]:
    """(relation, lock, what) for LOCK TABLE, a plain DROP INDEX and a plain REINDEX."""
    kind = node_name(node)
    if kind == "LockStmt":
        mode = _LOCK_MODES[node.mode] if 0 < (node.mode or 0) < len(_LOCK_MODES) else ""
        lock = f"{mode or 'ACCESS EXCLUSIVE'} lock"
        return [(r.relname, lock, f"LOCK TABLE {r.relname}") for r in node.relations or ()]
    if kind == "DropStmt" and enum_name(node.removeType) == "OBJECT_INDEX" and not node.concurrent:
        names = [item[-1].sval for item in node.objects or ()]
        return [(name, ACCESS_EXCLUSIVE, f"DROP INDEX {name}, on its table") for name in names]
    if kind == "ReindexStmt" and node.relation is not None:
        what = enum_name(node.kind).removeprefix("REINDEX_OBJECT_")
        name = node.relation.relname
        return [] if concurrently(node.params) else [(name, SHARE, f"REINDEX {what} {name}")]
    return []


RULE = StatementRule(
    code="MDB510",
    name="missing-lock-timeout",
    severity=WARNING,
    hint="op.execute(\"SET lock_timeout = '5s'\") at the start of upgrade()",
    phases=("upgrade", "sql"),
    node_types=LOCKING_STATEMENTS | {"LockStmt", "ReindexStmt"},
    check=check,
)
