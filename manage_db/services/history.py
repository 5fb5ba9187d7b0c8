"""The applied history: recording each step, adopting a database older than the history, and
checking the applied revisions against the tree (edited, missing, interrupted: exit 8).

The migration runtime calls a :class:`HistoryRecorder` for every step: ``step_started`` before the
revision runs, ``step_applied`` after alembic updated the version table (inside the step's
transaction, on the migration's connection), ``step_failed`` when it raised. A revision that runs
outside a transaction (``autocommit_block``) gets its row committed at its start, on the lock
connection, and closed when it ends: a run killed in between leaves a ``running`` row, which
``status`` and ``upgrade`` report until ``repair``.
"""

from __future__ import annotations

import getpass
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from manage_db import __version__
from manage_db.dao import history as history_table
from manage_db.dao.connection import connect
from manage_db.dao.revision_checksums import FileFacts, revision_facts
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.version_table import read_current
from manage_db.errors import HistoryDrift, TreeError, one_line
from manage_db.history_model import (
    ADOPT,
    APPLYING,
    EDITED,
    FAILED,
    INTERRUPTED,
    MISSING,
    OK,
    REPAIR,
    RUNNING,
    Drift,
    HistoryEntry,
    LastRecord,
)
from manage_db.models import Component
from manage_db.squash.floor import check_floor, squash_baselines

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunFacts:
    """Who runs the tool, and where: the same on every row of one run."""

    os_user: str
    host: str
    tool_version: str = __version__

    @classmethod
    def here(cls) -> RunFacts:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "?"
        return cls(user, socket.gethostname())


@dataclass
class _OpenStep:
    started_at: datetime
    started: float
    row_id: int | None = None  # the committed start row of a non-transactional revision
    joined: bool = False  # its ok row went out with alembic's version-table write


@dataclass
class HistoryRecorder:
    """Writes one history row per step of one run on one component."""

    component: Component
    lock_connection: Any  # autocommit: start rows of non-transactional revisions, failures
    facts: Mapping[str, FileFacts]
    run: RunFacts = field(default_factory=RunFacts.here)
    _open: dict[tuple[str, str], _OpenStep] = field(default_factory=dict)

    def step_started(self, revision: str, direction: str, connection: Any = None) -> None:
        """Before the revision runs; a non-transactional one gets its row committed now."""
        step = _OpenStep(datetime.now(timezone.utc), time.monotonic())
        if not self._transactional(revision, direction):
            (step.row_id,) = self._insert(
                self.lock_connection, revision, direction, step.started_at, None, RUNNING
            )
        self._open[(revision, direction)] = step

    def step_applied(self, revision: str, direction: str, connection: Any) -> None:
        """After alembic updated the version table, in the step's transaction on ``connection``."""
        self._close(connection, revision, direction, OK)

    def version_write_sql(self, revision: str, direction: str, cursor: Any) -> str | None:
        """The step's ok row, rendered to go out with alembic's version write (one round trip).

        It commits or rolls back with that write; ``step_applied`` then has nothing to insert,
        and a step that fails after it still gets its failed row from ``step_failed``.
        """
        step = self._open.get((revision, direction))
        if step is None or step.row_id is not None or step.joined:
            return None
        step.joined = True
        duration = time.monotonic() - step.started
        row = self._row(revision, direction, step.started_at, duration, OK)
        return history_table.insert_sql(
            cursor, self.component.version_table, self.component.schema, [row]
        )

    def step_failed(self, revision: str, direction: str, error: BaseException | str) -> None:
        """The revision raised and its transaction was rolled back: a failed row, committed."""
        line = error if isinstance(error, str) else one_line(error)
        self._close(self.lock_connection, revision, direction, FAILED, line)

    def _close(
        self, conn: Any, revision: str, direction: str, outcome: str, error: str | None = None
    ) -> None:
        step = self._open.pop((revision, direction), None)
        if step is None:  # stamps, or a runtime that did not announce the step
            step = _OpenStep(datetime.now(timezone.utc), time.monotonic())
        if step.joined and outcome == OK:
            return
        duration = time.monotonic() - step.started
        if step.row_id is None:
            self._insert(conn, revision, direction, step.started_at, duration, outcome, error)
            return
        history_table.finish(
            conn,
            self.component.version_table,
            self.component.schema,
            step.row_id,
            duration=duration,
            outcome=outcome,
            error=error,
        )

    def record(self, revisions: Sequence[str], direction: str) -> None:
        """Rows for revisions recorded without running (adoption, repair), in one statement."""
        now = datetime.now(timezone.utc)
        rows = [self._row(r, direction, now, 0.0, OK) for r in revisions]
        history_table.insert(
            self.lock_connection, self.component.version_table, self.component.schema, rows
        )

    def _transactional(self, revision: str, direction: str) -> bool:
        facts = self.facts.get(revision)
        return facts is None or facts.transactional(direction)

    def _row(
        self,
        revision: str,
        direction: str,
        started_at: datetime,
        duration: float | None,
        outcome: str,
        error: str | None = None,
    ) -> dict[str, Any]:
        facts = self.facts.get(revision)
        return {
            "revision": revision,
            "direction": direction,
            "started_at": started_at,
            "duration": duration,
            "checksum": facts.checksum if facts else None,
            "transactional": self._transactional(revision, direction),
            "os_user": self.run.os_user,
            "host": self.run.host,
            "tool_version": self.run.tool_version,
            "outcome": outcome,
            "error": error,
        }

    def _insert(self, conn: Any, revision: str, direction: str, *args: Any) -> list[int]:
        return history_table.insert(
            conn,
            self.component.version_table,
            self.component.schema,
            [self._row(revision, direction, *args)],
        )


def tree_facts(graph: RevisionGraph) -> dict[str, FileFacts]:
    """Checksum and transaction mode of every revision of the tree."""
    return revision_facts(
        graph.script_location, {rev: item.path for rev, item in graph.revisions.items()}
    )


def find_drift(
    graph: RevisionGraph,
    current: tuple[str, ...],
    last: Mapping[str, LastRecord] | None,
    facts: Mapping[str, FileFacts],
) -> list[Drift]:
    """Applied revisions whose file changed, applied revisions the tree lacks, interrupted ones."""
    drift = [Drift(rev, MISSING) for rev in current if rev not in graph.revisions]
    if not last:
        return drift
    applied: set[str] = set()
    for rev in current:
        applied |= graph.ancestors(rev)
    baselines: set[str] | None = None  # read only when a checksum changed
    for rev in sorted(last):
        record = last[rev]
        if record.outcome == RUNNING:
            drift.append(Drift(rev, INTERRUPTED, f"{record.direction} never ended"))
        elif rev in applied and record.direction in APPLYING and rev in facts:
            now = facts[rev].checksum
            if record.checksum is not None and record.checksum != now:
                if baselines is None:
                    baselines = squash_baselines(graph.script_location)
                if rev in baselines:
                    continue  # rewritten by a squash: the old history it replaced was applied
                drift.append(Drift(rev, EDITED, f"checksum {record.checksum[:12]} -> {now[:12]}"))
    return drift


def unrecorded(
    graph: RevisionGraph, current: tuple[str, ...], last: Mapping[str, LastRecord] | None
) -> list[str]:
    """Applied revisions the history does not show as applied (a database older than it)."""
    last = last or {}
    order = graph.pending((), tuple(r for r in current if r in graph.revisions))
    return [rev for rev in order if rev not in last or last[rev].direction not in APPLYING]


def component_drift(
    conn: Any, component: Component, graph: RevisionGraph, current: tuple[str, ...]
) -> list[Drift]:
    """What ``status`` reports for one component: one query of its history table."""
    last = history_table.read_last_records(conn, component.version_table, component.schema)
    if not last and all(rev in graph.revisions for rev in current):
        return []
    return find_drift(graph, current, last, tree_facts(graph))


def drift_message(component: Component, drift: Sequence[Drift], refusing: bool = False) -> str:
    """One line naming every drifted revision and the way out."""
    ways = []
    if any(d.kind != MISSING for d in drift):
        ways.append(f"`wazo-manage-db repair --component {component.name} REV`")
    if any(d.kind == MISSING for d in drift):
        ways.append(
            f"`wazo-manage-db stamp --component {component.name} REV` (a revision of the tree)"
        )
    return (
        f"{component.name}: {'refusing to run: ' if refusing else ''}"
        f"{'; '.join(d.describe() for d in drift)}; see `wazo-manage-db log "
        f"--component {component.name}`, then {' or '.join(ways)}"
    )


def prepare_run(
    lock_connection: Any,
    component: Component,
    graph: RevisionGraph,
    current: tuple[str, ...],
    *,
    refuse_drift: bool,
) -> HistoryRecorder:
    """Under the migration lock, before a run: check, create the table, adopt; the recorder.

    ``refuse_drift`` (upgrade): HistoryDrift, nothing changed, when an applied revision drifted
    (BelowBaseline first, when the database is at a revision a squash removed).
    """
    if refuse_drift:
        check_floor(component.name, graph.script_location, graph.revisions, current)
    last = history_table.read_last_records(
        lock_connection, component.version_table, component.schema
    )
    facts = tree_facts(graph)
    if refuse_drift:
        drift = find_drift(graph, current, last, facts)
        if drift:
            raise HistoryDrift(drift_message(component, drift, refusing=True))
    history_table.create_table(lock_connection, component.version_table, component.schema)
    recorder = HistoryRecorder(component, lock_connection, facts)
    adopted = unrecorded(graph, current, last)
    if adopted:
        recorder.record(adopted, ADOPT)
        logger.info("%s: history adopted %d applied revisions", component.name, len(adopted))
    return recorder


def forget_empty(lock_connection: Any, component: Component) -> None:
    """After a first run that failed before any step: leave no empty history table behind."""
    history_table.drop_if_empty(lock_connection, component.version_table, component.schema)


def read_log(
    component: Component, owner_uri: str, server_wait: float, limit: int | None = None
) -> list[HistoryEntry]:
    """The component's history, newest first ([] before its first upgrade)."""
    conn = connect(owner_uri, wait=server_wait)
    try:
        return (
            history_table.read_entries(conn, component.version_table, component.schema, limit) or []
        )
    finally:
        conn.close()


@dataclass(frozen=True)
class Repaired:
    """A revision whose checksum ``repair`` recorded anew, and why it needed it."""

    revision: str
    reason: str  # edited, interrupted, or "" when nothing was wrong


def repair(
    component: Component,
    owner_uri: str,
    revisions: Sequence[str],
    *,
    server_wait: float,
) -> list[Repaired]:
    """Record today's checksum of each revision (applied or interrupted) as a ``repair`` row."""
    from manage_db.services.migration_lock import migration_lock

    graph = load_graph(component.script_location)
    wanted = [graph.resolve(name) for name in revisions]
    with migration_lock(component, owner_uri, component.timeouts.lock_wait, server_wait) as conn:
        current = read_current(conn, component.version_table, component.schema)
        last = history_table.read_last_records(conn, component.version_table, component.schema)
        facts = tree_facts(graph)
        drift = {d.revision: d.kind for d in find_drift(graph, current, last, facts)}
        applied: set[str] = set()
        for rev in current:
            applied |= graph.ancestors(rev)
        for rev in wanted:
            if rev not in applied and drift.get(rev) != INTERRUPTED:
                raise TreeError(
                    f"{component.name}: revision {rev} is neither applied nor interrupted: "
                    "nothing to repair"
                )
        history_table.create_table(conn, component.version_table, component.schema)
        HistoryRecorder(component, conn, facts).record(wanted, REPAIR)
    for rev in wanted:
        logger.info("%s: repaired %s (%s)", component.name, rev, drift.get(rev, "unchanged"))
    return [Repaired(rev, drift.get(rev, "")) for rev in wanted]
