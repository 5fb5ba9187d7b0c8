"""missing-lock-timeout: a lock on an existing table with no `SET lock_timeout` before it (once
per revision).

Why: a DDL lock request queues behind any long query, and every later query on the table
queues behind it: a one-second ALTER becomes a minutes-long outage. Reported once per revision.
``LOCK TABLE`` counts too (ACCESS EXCLUSIVE unless it names a weaker mode).
Instead: ``op.execute("SET lock_timeout = '5s'")`` first in upgrade(), and retry on failure.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.locks import LOCKING_STATEMENTS, locks_taken
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.nodes import node_name

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
    for table, lock in _locks(statement.node):
        if table not in state.fresh_tables:
            state.reported.add(RULE.code)
            yield f"no lock_timeout before the first {lock} on existing table {table}"
            return


def _locks(node: Any) -> list[tuple[str | None, str]]:
    if node_name(node) != "LockStmt":
        return locks_taken(node)
    mode = _LOCK_MODES[node.mode or 8] if 0 < (node.mode or 8) < len(_LOCK_MODES) else ""
    lock = f"{mode or 'ACCESS EXCLUSIVE'} lock (LOCK TABLE)"
    return [(getattr(r, "relname", None), lock) for r in node.relations or ()]


RULE = StatementRule(
    code="MDB510",
    name="missing-lock-timeout",
    severity=WARNING,
    hint="op.execute(\"SET lock_timeout = '5s'\") at the start of upgrade()",
    phases=("upgrade", "sql"),
    node_types=LOCKING_STATEMENTS | {"LockStmt"},
    check=check,
)
