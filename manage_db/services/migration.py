"""Migrations: upgrade, downgrade and stamp one component, under its migration lock.

One transaction per revision whatever the tree's env.py asks (the runtime adapter holds its
``configure()`` to it), so a failing revision leaves the database at the last good one; the error
names the failing revision and where the database was left. The tree is loaded once per command.
Two processes upgrading at once serialise on an advisory lock, and the second finds nothing left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

from manage_db import cancellation, log
from manage_db.dao import version_table
from manage_db.dao.connection import reached_first
from manage_db.dao.revision_files import load_graph
from manage_db.dao.session import migration_session_uri
from manage_db.dao.version_table import read_current
from manage_db.errors import ManageDbError, MigrationFailed, TreeError, one_line
from manage_db.models import Component, RunResult
from manage_db.revision_graph import RevisionGraph
from manage_db.runtime.adapter import MigrationTree, MissingMigrationFunction, is_usage_error
from manage_db.runtime.listeners import StepListener
from manage_db.services import history
from manage_db.services.migration_lock import migration_lock
from manage_db.services.retry import run_with_lock_retries
from manage_db.timeouts import SessionTimeouts

logger = logging.getLogger(__name__)


def resolve_target(graph: RevisionGraph, target: str) -> tuple[str, ...] | None:
    """Heads a target names: 'head(s)', an id or a prefix; None for what alembic resolves itself."""
    if target in ("head", "heads"):
        heads = graph.heads()
        if target == "head" and len(heads) > 1:
            raise TreeError(
                f"{graph.script_location}: several heads ({', '.join(heads)}); "
                "upgrade to 'heads' or merge them"
            )
        return heads
    if target == "base":
        return ()
    if target.startswith(("+", "-")) or ":" in target or "@" in target:
        return None
    return (graph.resolve(target),)


def upgrade(
    component: Component,
    owner_uri: str,
    target: str = "heads",
    *,
    server_wait: float,
    listeners: Sequence[StepListener] = (),
    lock_connection: Any = None,
) -> RunResult:
    """Apply the pending revisions up to ``target``; ``listeners`` hear of each step. The
    component's own limits (``component.timeouts``) bound each wait. A revision that waits
    longer than ``lock_timeout`` for a table is rolled back and run again from its start
    (``lock_retries`` times, with backoff); the earlier ones stay applied. ``lock_connection``:
    the caller's connection holding the migration lock (see ``_locked``).
    """
    graph = load_graph(component.script_location)
    wanted = resolve_target(graph, target)
    result = RunResult(component.name)
    timeouts = component.timeouts
    with (
        cancellation.watching(owner_uri, timeouts.server_timeout),
        _locked(component, owner_uri, server_wait, lock_connection) as conn,
    ):
        result.before = read_current(conn, component.version_table, component.schema)
        recorder = history.prepare_run(conn, component, graph, result.before, refuse_drift=True)
        graph.check_known(result.before, component.name)
        if wanted is not None and not graph.pending(result.before, wanted):
            result.after = result.before
            result.message = "already at target"
            return result
        alembic_target = "heads" if wanted == graph.heads() else target
        if alembic_target == "heads" and len(wanted or ()) > 1:
            result.message = f"the tree has {len(wanted or ())} heads: applying each of them"
            logger.warning("%s: %s (%s)", component.name, result.message, ", ".join(wanted or ()))
        had_table = version_table.exists(conn, component.version_table, component.schema)
        session_uri = _session_uri(owner_uri, timeouts, conn)
        try:
            run_with_lock_retries(
                component.name,
                timeouts,
                lambda: _run(
                    component,
                    session_uri,
                    "upgrade",
                    alembic_target,
                    result,
                    conn,
                    [*listeners, recorder],
                ),
                lambda: read_current(conn, component.version_table, component.schema),
                lambda current: _next_revision(graph, current, wanted),
            )
        except ManageDbError:
            # Some alembic versions create the version table before loading the revisions: a
            # first upgrade that fails at once leaves the database exactly as it was.
            if not had_table and not conn.closed:
                version_table.drop_if_empty(conn, component.version_table, component.schema)
                history.forget_empty(conn, component)
            raise
    return result


def _locked(
    component: Component, owner_uri: str, server_wait: float, lock_connection: Any
) -> contextlib.AbstractContextManager[Any]:
    """The connection holding the migration lock: ``lock_connection`` when the caller holds it
    already (and releases it), else a hold of our own."""
    if lock_connection is not None:
        return contextlib.nullcontext(lock_connection)
    return migration_lock(component, owner_uri, component.timeouts.lock_wait, server_wait)


def single_step(
    component: Component,
    owner_uri: str,
    command: str,
    target: str,
    *,
    listeners: Sequence[StepListener] = (),
) -> RunResult:
    """``downgrade``: revert revisions down to ``target`` (an id, 'base' or '-N'); ``stamp``:
    record ``target`` as applied without running anything."""
    graph = load_graph(component.script_location)
    resolve_target(graph, target)
    result = RunResult(component.name)
    # No retries: a relative target ('-1') run again would go one step further.
    timeouts = dataclasses.replace(component.timeouts, lock_retries=0)
    with (
        cancellation.watching(owner_uri, timeouts.server_timeout),
        migration_lock(component, owner_uri, timeouts.lock_wait) as conn,
    ):
        result.before = read_current(conn, component.version_table, component.schema)
        if command != "stamp":  # stamp is how a database at an unknown revision is repaired
            graph.check_known(result.before, component.name)
        recorder = history.prepare_run(conn, component, graph, result.before, refuse_drift=False)
        session_uri = _session_uri(owner_uri, timeouts, conn)
        run_with_lock_retries(
            component.name,
            timeouts,
            lambda: _run(
                component, session_uri, command, target, result, conn, [*listeners, recorder]
            ),
            lambda: read_current(conn, component.version_table, component.schema),
        )
    return result


def offline_sql(
    component: Component, owner_uri: str, target: str = "heads", start: str | None = None
) -> None:
    """Print the SQL of the upgrade to stdout (alembic offline mode); no database needed."""
    graph = load_graph(component.script_location)
    resolve_target(graph, target)
    if start:
        graph.resolve(start)
    try:
        MigrationTree.load(component, owner_uri).offline_sql(target, start)
    except ManageDbError:
        raise
    except Exception as error:
        raise MigrationFailed(f"{component.name}: cannot render SQL: {one_line(error)}") from error


def _session_uri(owner_uri: str, timeouts: SessionTimeouts, conn: Any) -> str:
    """The migration session's URI, to the server whose lock ``conn`` holds first."""
    return migration_session_uri(reached_first(owner_uri, conn), timeouts, conn.server_version)


class _Progress:
    """Logs each step and collects it into the run's result."""

    def __init__(self, component: Component, result: RunResult):
        self.component = component
        self.result = result

    def step_started(self, revision: str, direction: str, connection: Any) -> None:
        logger.debug("%s: %s %s started", self.component.name, direction, revision)

    def step_applied(self, revision: str, direction: str, connection: Any) -> None:
        self.result.applied.append(revision)
        logger.info("%s: %s %s", self.component.name, direction, revision)

    def step_failed(self, revision: str, direction: str, error: BaseException) -> None:
        # The runner reports the failure once, in one line; the log keeps the step's end.
        logger.debug("%s: %s %s rolled back", self.component.name, direction, revision)


def _run(
    component: Component,
    owner_uri: str,
    name: str,
    target: str,
    result: RunResult,
    conn: Any,
    listeners: Sequence[StepListener],
) -> None:
    started = time.monotonic()
    tree: MigrationTree | None = None
    try:
        # ``owner_uri`` is the session's (dao.session.migration_session_uri): every setting in it.
        tree = MigrationTree.load(component, owner_uri)
        try:
            with log.buffered():
                getattr(tree, name)(target, [_Progress(component, result), *listeners])
        finally:
            # The steps committed asynchronously: durable before anything is reported.
            version_table.wait_durable(conn)
    except ManageDbError:
        raise
    except SyntaxError as error:
        raise TreeError(f"{error.filename}:{error.lineno}: syntax error: {error.msg}") from error
    except Exception as error:
        if is_usage_error(error):
            raise TreeError(f"{component.name}: {one_line(error)}") from error
        result.after = read_current(conn, component.version_table, component.schema)
        # The runtime knows the revision that started and did not finish; none: env.py itself.
        failing = tree.failed_step[0] if tree is not None and tree.failed_step else None
        where = (
            f"revision {failing}"
            if failing
            else f"{name} to {target} (in {component.script_location}/env.py, no revision ran)"
        )
        # A revision without the function to run says so itself, naming its file.
        what = str(error) if isinstance(error, MissingMigrationFunction) else None
        failure = MigrationFailed(
            f"{component.name}: {what or f'{where} failed: {one_line(error)}'}; database left "
            f"at {', '.join(result.after) or 'base'}"
        )
        failure.result = result  # type: ignore[attr-defined]
        failure.revision = failing  # type: ignore[attr-defined]
        raise failure from error
    result.after = read_current(conn, component.version_table, component.schema)
    logger.info(
        "%s: %s %s -> %s in %.2f s",
        component.name,
        name,
        ",".join(result.before or ()) or "base",
        ",".join(result.after) or "base",
        time.monotonic() - started,
    )


def _next_revision(
    graph: RevisionGraph, current: tuple[str, ...], wanted: tuple[str, ...] | None
) -> str | None:
    """The revision that runs after ``current`` toward ``wanted``, for messages."""
    pending = graph.pending(current, wanted) if wanted else []
    return pending[0] if pending else None
