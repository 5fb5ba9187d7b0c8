"""The plan: what each pending revision would do to the live database, changing nothing.

For every component, the pending revisions' statements (see ``plan_statements``) are walked in
order (``plan_walker``). Each statement on a table that exists now gets the lock lint knows it
takes, whether it rewrites or scans the table, the table's live size and the sessions holding
it; statements that can fail on existing rows get a read-only data check. Everything runs in
one read-only transaction with a statement_timeout, so the plan takes nothing stronger than
ACCESS SHARE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from manage_db.config import KEYS
from manage_db.errors import ManageDbError
from manage_db.models import Component
from manage_db.plan_model import RISKY, WOULD_FAIL, ComponentPlan, RevisionPlan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanSettings:
    """Bounds of the plan's transaction and what counts as a big table."""

    # The defaults and meanings are the declaration's (config.KEYS, ``plan.*``).
    statement_timeout: float = KEYS["plan.statement_timeout"].default
    lock_timeout: float = KEYS["plan.lock_timeout"].default
    big_table_rows: int = KEYS["plan.big_table_rows"].default
    long_transaction: float = KEYS["plan.long_transaction"].default


def plan_components(
    components: Sequence[Component],
    owner_uri: Callable[[Component], str],
    settings: PlanSettings,
    server_wait: float,
) -> list[ComponentPlan]:
    """The plan of each component, from its current revision to its heads."""
    plans = []
    for component in components:
        try:
            plans.append(plan_component(component, owner_uri(component), settings, server_wait))
        except ManageDbError as error:
            plans.append(
                ComponentPlan(
                    component.name, component.database, error=str(error), exit_code=error.exit_code
                )
            )
    return plans


def plan_component(
    component: Component, owner_uri: str, settings: PlanSettings, server_wait: float
) -> ComponentPlan:
    """One component's plan, read in one read-only transaction."""
    from manage_db.dao import table_facts
    from manage_db.dao.connection import connect
    from manage_db.dao.revision_files import load_graph
    from manage_db.dao.version_table import read_current
    from manage_db.replication.dao import replication_state
    from manage_db.services.plan_statements import revision_statements
    from manage_db.services.plan_walker import StatementWalker

    graph = load_graph(component.script_location)
    conn = connect(owner_uri, wait=server_wait)
    try:
        table_facts.begin_read_only(
            conn, int(settings.statement_timeout * 1000), int(settings.lock_timeout * 1000)
        )
        plan = ComponentPlan(component.name, component.database)
        plan.current = read_current(conn, component.version_table, component.schema)
        plan.heads = graph.heads()
        graph.check_known(plan.current, component.name)
        pending = graph.pending(plan.current, plan.heads)
        found = revision_statements([graph.revisions[r].path for r in pending])
        walker = StatementWalker(conn, plan)
        for rev, statements in zip(pending, found, strict=True):
            revision = RevisionPlan(
                rev, graph.revisions[rev].message, source=statements.source, note=statements.note
            )
            for node, text in zip(statements.nodes, statements.texts, strict=True):
                revision.statements.append(walker.statement(node, text))
            _judge(revision, plan, settings)
            plan.revisions.append(revision)
        plan.long_transactions = table_facts.long_transactions(conn, settings.long_transaction)
        plan.replication = replication_state(conn)
    except table_facts.database_error() as error:
        message = (getattr(error, "pgerror", None) or str(error)).strip().splitlines()
        raise ManageDbError(
            f"{component.name}: plan stopped: {message[0] if message else type(error).__name__}"
        ) from error
    finally:
        table_facts.end(conn)
    return plan


def _judge(revision: RevisionPlan, plan: ComponentPlan, settings: PlanSettings) -> None:
    from manage_db.sql.locks import ACCESS_EXCLUSIVE

    for statement in revision.statements:
        for check in statement.checks:
            if check.fails:
                revision.reasons.append(f"{check.description}: {check.failing_rows} row(s)")
                revision.verdict = WOULD_FAIL
            elif check.error:
                revision.reasons.append(f"{check.description}: not checked ({check.error})")
        facts = plan.tables.get(statement.table or "")
        if facts is None:
            continue
        if statement.rewrites:
            statement.wal_bytes = facts.total_bytes
        big = facts.estimated_rows >= settings.big_table_rows
        if big and (statement.rewrites or statement.lock == ACCESS_EXCLUSIVE):
            what = "rewrites" if statement.rewrites else f"takes an {ACCESS_EXCLUSIVE} on"
            revision.reasons.append(f"{what} {facts.name} (~{facts.estimated_rows} rows)")
        if facts.holders and statement.lock:
            revision.reasons.append(f"{facts.name} is held now by {len(facts.holders)} session(s)")
    if revision.verdict != WOULD_FAIL and revision.reasons:
        revision.verdict = RISKY
    if revision.note and revision.source == "source":
        revision.reasons.append(revision.note)
