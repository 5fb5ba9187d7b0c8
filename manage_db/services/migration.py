"""Migrations: upgrade, downgrade and stamp one component, under its migration lock.

One transaction per revision (the env.py sets transaction_per_migration), so a failing revision
leaves the database at the last good one; the error names the failing revision. Two processes
upgrading at once serialise on an advisory lock, and the second finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any

from manage_db import cancellation
from manage_db.dao import locks, version_table
from manage_db.dao.alembic_tree import run_command
from manage_db.dao.connection import connect, sqlalchemy_url
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.session import migration_session_uri
from manage_db.dao.version_table import read_current
from manage_db.errors import LockTimeout, ManageDbError, MigrationFailed, TreeError
from manage_db.models import Component, RunResult
from manage_db.services.retry import run_with_lock_retries
from manage_db.timeouts import SessionTimeouts

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def migration_lock(
    component: Component, owner_uri: str, wait: float, server_wait: float = 0.0
) -> Iterator[Any]:
    """Hold the component's advisory lock; yield the (autocommit) connection holding it."""
    conn = connect(owner_uri, wait=server_wait)
    try:
        key = locks.lock_key(component.version_table, component.schema)
        if not locks.try_lock(conn, key):
            logger.info("%s: waiting for another migration run to finish", component.name)
            if not locks.wait_for_lock(conn, key, wait):
                raise LockTimeout(
                    f"{component.name}: another process held the migration lock for more "
                    f"than {wait:g} s"
                )
        try:
            yield conn
        finally:
            locks.unlock(conn, key)
    finally:
        conn.close()


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
    lock_wait: float = 300.0,
    server_wait: float = 0.0,
    timeouts: SessionTimeouts | None = None,
) -> RunResult:
    """Apply the pending revisions up to ``target``."""
    graph = load_graph(component.script_location)
    wanted = resolve_target(graph, target)
    result = RunResult(component.name)
    timeouts = timeouts or SessionTimeouts()
    with (
        cancellation.watching(owner_uri, timeouts.server_timeout),
        migration_lock(component, owner_uri, lock_wait, server_wait) as conn,
    ):
        result.before = read_current(conn, component.version_table, component.schema)
        _check_known(graph, component, result.before)
        if wanted is not None and not graph.pending(result.before, wanted):
            result.after = result.before
            result.message = "already at target"
            return result
        alembic_target = "heads" if wanted == graph.heads() else target
        had_table = version_table.exists(conn, component.version_table, component.schema)
        session_uri = migration_session_uri(owner_uri, timeouts, conn.server_version)
        try:
            run_with_lock_retries(
                component.name,
                timeouts,
                lambda: _run(
                    component, session_uri, graph, "upgrade", alembic_target, result, conn
                ),
                lambda: read_current(conn, component.version_table, component.schema),
                lambda current: _failing_revision(graph, current, alembic_target, "upgrade"),
            )
        except ManageDbError:
            # Some alembic versions create the version table before loading the revisions: a
            # first upgrade that fails at once leaves the database exactly as it was.
            if not had_table and not conn.closed:
                version_table.drop_if_empty(conn, component.version_table, component.schema)
            raise
    return result


def downgrade(
    component: Component,
    owner_uri: str,
    target: str,
    *,
    lock_wait: float = 300.0,
    timeouts: SessionTimeouts | None = None,
) -> RunResult:
    """Revert revisions down to ``target`` (an id, 'base' or '-N')."""
    return _locked_command(component, owner_uri, "downgrade", target, lock_wait, timeouts)


def stamp(
    component: Component,
    owner_uri: str,
    target: str,
    *,
    lock_wait: float = 300.0,
    timeouts: SessionTimeouts | None = None,
) -> RunResult:
    """Record ``target`` as applied without running anything."""
    return _locked_command(component, owner_uri, "stamp", target, lock_wait, timeouts, purge=True)


def _locked_command(
    component: Component,
    owner_uri: str,
    name: str,
    target: str,
    lock_wait: float,
    timeouts: SessionTimeouts | None,
    **kwargs: Any,
) -> RunResult:
    graph = load_graph(component.script_location)
    resolve_target(graph, target)
    result = RunResult(component.name)
    # No retries: a relative target ('-1') run again would go one step further.
    timeouts = dataclasses.replace(timeouts or SessionTimeouts(), lock_retries=0)
    with (
        cancellation.watching(owner_uri, timeouts.server_timeout),
        migration_lock(component, owner_uri, lock_wait) as conn,
    ):
        result.before = read_current(conn, component.version_table, component.schema)
        if name != "stamp":  # stamp is how a database at an unknown revision is repaired
            _check_known(graph, component, result.before)
        session_uri = migration_session_uri(owner_uri, timeouts, conn.server_version)
        run_with_lock_retries(
            component.name,
            timeouts,
            lambda: _run(component, session_uri, graph, name, target, result, conn, **kwargs),
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
    revision = f"{start}:{target}" if start else target
    try:
        run_command(component, sqlalchemy_url(owner_uri), "upgrade", revision, sql=True)
    except ManageDbError:
        raise
    except Exception as error:
        raise MigrationFailed(f"{component.name}: cannot render SQL: {_one_line(error)}") from error


def _check_known(graph: RevisionGraph, component: Component, current: tuple[str, ...]) -> None:
    for rev in current:
        if rev not in graph.revisions:
            raise TreeError(
                f"{component.name}: the database is at revision '{rev}', which is not in "
                f"{component.script_location}"
            )


def _run(
    component: Component,
    owner_uri: str,
    graph: RevisionGraph,
    name: str,
    target: str,
    result: RunResult,
    conn: Any,
    **kwargs: Any,
) -> None:
    started = time.monotonic()

    def applied(
        ctx: Any = None, step: Any = None, heads: Any = None, run_args: Any = None, **_: Any
    ) -> None:
        # alembic passes a MigrationInfo; up_revision_id is the revision applied or reverted.
        revision = getattr(step, "up_revision_id", None) or "?"
        result.applied.append(revision)
        logger.info("%s: %s %s", component.name, name, revision)

    try:
        run_command(
            component, sqlalchemy_url(owner_uri), name, target, on_version_apply=applied, **kwargs
        )
    except ManageDbError:
        raise
    except SyntaxError as error:
        raise TreeError(f"{error.filename}:{error.lineno}: syntax error: {error.msg}") from error
    except Exception as error:
        result.after = read_current(conn, component.version_table, component.schema)
        failing = _failing_revision(graph, result.after, target, name)
        where = f"revision {failing}" if failing else f"{name} to {target}"
        if _is_alembic_usage_error(error):
            raise TreeError(f"{component.name}: {_one_line(error)}") from error
        failure = MigrationFailed(
            f"{component.name}: {where} failed: {_one_line(error)}; database left at "
            f"{', '.join(result.after) or 'base'}"
        )
        failure.result = result  # type: ignore[attr-defined]
        failure.revision = failing  # type: ignore[attr-defined]
        raise failure from error
    result.after = read_current(conn, component.version_table, component.schema)
    logger.info(
        "%s: %s %s -> %s in %.2f s",
        component.name,
        name,
        ",".join(result.before) or "base",
        ",".join(result.after) or "base",
        time.monotonic() - started,
    )


def _failing_revision(
    graph: RevisionGraph, current: tuple[str, ...], target: str, name: str
) -> str | None:
    """The revision that was running: the next one after the last applied toward the target."""
    if name == "upgrade":
        heads = graph.heads() if target in ("head", "heads") else None
        if heads is None and target in graph.revisions:
            heads = (target,)
        if heads:
            pending = graph.pending(current, heads)
            return pending[0] if pending else None
    if name == "downgrade" and len(current) == 1:
        return current[0]
    return None


def _is_alembic_usage_error(error: BaseException) -> bool:
    return type(error).__module__.startswith("alembic") and type(error).__name__ in (
        "CommandError",
        "ResolutionError",
        "RangeNotAncestorError",
        "MultipleHeads",
    )


def _one_line(error: BaseException) -> str:
    """The database's own message when there is one, else the exception's first line."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    name = type(orig if orig is not None else error).__name__
    return f"{name}: {first}"
