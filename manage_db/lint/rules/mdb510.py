"""missing-lock-timeout: a lock on an existing table with no `SET lock_timeout` before it (once
per revision).

Why: a DDL lock request queues behind any long query, and every later query on the table
queues behind it: a one-second ALTER becomes a minutes-long outage. Reported once per revision.
Instead: ``op.execute("SET lock_timeout = '5s'")`` first in upgrade(), and retry on failure.
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import LOCKING_STATEMENTS, locks_taken


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    if state.lock_timeout_set or RULE.code in state.reported:
        return
    for table, lock in locks_taken(statement.node):
        if table not in state.fresh_tables:
            state.reported.add(RULE.code)
            yield f"no lock_timeout before the first {lock} on existing table {table}"
            return


RULE = StatementRule(
    code="MDB510",
    name="missing-lock-timeout",
    severity=WARNING,
    hint="op.execute(\"SET lock_timeout = '5s'\") at the start of upgrade()",
    phases=("upgrade", "sql"),
    node_types=LOCKING_STATEMENTS,
    check=check,
)
