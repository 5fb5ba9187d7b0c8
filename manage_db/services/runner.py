"""Running one operation over several components in dependency order.

A component whose dependency failed or was skipped is skipped; the others still run. Each
outcome is a RunResult for the summary table.

With ``parallel`` above 1, components whose dependencies are done run at the same time, each in
a forked worker process (the migration runtime and alembic's ``context``/``op`` are process-wide
globals, so threads would share them). A worker's log records come back to this process and are
replayed component by component in the configured order, as are the results: the output and the
summary read the same whatever finishes first.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from manage_db.errors import EXIT_MIGRATION, ManageDbError
from manage_db.models import Component, RunResult, StatusRow

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from manage_db.access import Access

logger = logging.getLogger(__name__)

# What components hold in common that two runs must not touch at once (init: a database, a role).
SharedKeys = Callable[[Component], set[tuple[str, str]]]


def run_in_order(
    components: Sequence[Component],
    operation: Callable[[Component], RunResult],
    parallel: int = 1,
    shared: SharedKeys | None = None,
) -> tuple[list[RunResult], int]:
    """Run ``operation`` on each component; return the results and the exit code of the run.

    ``parallel``: how many components at once (1: one after another, in order); ``shared``:
    components with a key in common never run at the same time.
    """
    if parallel > 1 and len(components) > 1:
        return _run_concurrently(components, operation, parallel, shared)
    results: list[RunResult] = []
    broken: set[str] = set()
    exit_code = 0
    for component in components:
        blocked = [d for d in component.depends_on if d in broken]
        if blocked:
            broken.add(component.name)
            results.append(
                RunResult(
                    component.name,
                    result="skipped",
                    message=f"dependency {', '.join(blocked)} did not complete",
                )
            )
            continue
        try:
            results.append(operation(component))
        except ManageDbError as error:
            # The summary tells the console; the log file keeps the error too (--debug: its
            # traceback on the console as well).
            logger.error("%s", error, extra={"console": False})
            logger.debug("%s failed", component.name, exc_info=True)
            broken.add(component.name)
            exit_code = exit_code or error.exit_code
            failed = getattr(error, "result", None) or RunResult(component.name)
            failed.result, failed.message = "failed", str(error)
            results.append(failed)
    return results, exit_code


class _Outcome:
    """What a worker sends back: its result, the error's exit code, the log records it made."""

    def __init__(self, result: RunResult, exit_code: int, records: list[logging.LogRecord]) -> None:
        self.result = result
        self.exit_code = exit_code
        self.records = records
        self.crash: str | None = None  # an unexpected exception's traceback
        self.interrupted = False


class _Collect(logging.Handler):
    """Keeps a worker's records, made picklable (message rendered, traceback as text)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        record.stack_info = None
        self.records.append(record)


def _work(
    channel: Connection, operation: Callable[[Component], RunResult], component: Component
) -> None:
    """In a worker process: run ``operation`` on ``component``, send the outcome back."""
    collect = _Collect()
    logging.getLogger().handlers = [collect]
    outcome = _Outcome(RunResult(component.name), 0, collect.records)
    try:
        outcome.result = operation(component)
    except ManageDbError as error:
        logger.error("%s", error, extra={"console": False})
        logger.debug("%s failed", component.name, exc_info=True)
        outcome.exit_code = error.exit_code
        outcome.result = getattr(error, "result", None) or RunResult(component.name)
        outcome.result.result, outcome.result.message = "failed", str(error)
    except KeyboardInterrupt:  # SIGINT, or SIGTERM (cancellation's handler): the run ends
        outcome.interrupted = True
    except BaseException:  # a bug: the parent raises it, as a run in one process would
        import traceback

        outcome.crash = traceback.format_exc()
    channel.send(outcome)
    channel.close()


def _run_concurrently(
    components: Sequence[Component],
    operation: Callable[[Component], RunResult],
    parallel: int,
    shared: SharedKeys | None,
) -> tuple[list[RunResult], int]:
    from multiprocessing.connection import wait

    # Forked workers would flush a copy of what is buffered here when they exit.
    sys.stdout.flush()
    sys.stderr.flush()
    run = _ConcurrentRun(components, operation, parallel, shared)
    try:
        while run.waiting or run.running:
            before = len(run.waiting)
            run.start_ready()
            if not run.running and len(run.waiting) == before:
                raise RuntimeError("components wait for each other: a depends_on cycle")
            run.collect(wait(list(run.running)) if run.running else [])
            run.replay_finished()
    finally:
        run.stop_workers()
    ordered = [run.done[c.name] for c in components]
    exit_code = next((o.exit_code for o in ordered if o.exit_code), 0)
    return [o.result for o in ordered], exit_code


class _ConcurrentRun:
    """The state of a run in worker processes: who waits, who runs, who is done or broken."""

    def __init__(
        self,
        components: Sequence[Component],
        operation: Callable[[Component], RunResult],
        parallel: int,
        shared: SharedKeys | None,
    ) -> None:
        import multiprocessing

        self.components = components
        self.operation = operation
        self.parallel = parallel
        self.selected = {c.name for c in components}
        self.keys = {c.name: (shared(c) if shared else set()) for c in components}
        self.done: dict[str, _Outcome] = {}
        self.broken: set[str] = set()
        self.waiting = list(components)
        self.running: dict[Connection, tuple[Component, Any]] = {}
        self.replayed = 0
        self.context = multiprocessing.get_context("fork")

    def start_ready(self) -> None:
        """Start each waiting component whose dependencies are done and whose keys are free;
        skip one whose dependency failed or was skipped."""
        busy = set().union(*(self.keys[c.name] for c, _ in self.running.values()))
        for component in list(self.waiting):
            if len(self.running) >= self.parallel:
                break
            needed = [d for d in component.depends_on if d in self.selected]
            if any(d not in self.done for d in needed):
                continue
            blocked = [d for d in needed if d in self.broken]
            if blocked:
                self._skip(component, blocked)
            elif not self.keys[component.name] & busy:
                self._start(component)
                busy |= self.keys[component.name]

    def _skip(self, component: Component, blocked: list[str]) -> None:
        self.waiting.remove(component)
        self.broken.add(component.name)
        message = f"dependency {', '.join(blocked)} did not complete"
        skipped = RunResult(component.name, result="skipped", message=message)
        self.done[component.name] = _Outcome(skipped, 0, [])

    def _start(self, component: Component) -> None:
        self.waiting.remove(component)
        receive, send = self.context.Pipe(duplex=False)
        worker = self.context.Process(
            target=_work, args=(send, self.operation, component), daemon=True
        )
        worker.start()
        send.close()
        self.running[receive] = (component, worker)

    def collect(self, ready: list[Any]) -> None:
        """The outcomes of the workers whose channel is ready."""
        for channel in ready:
            component, worker = self.running.pop(channel)
            self.done[component.name] = _receive(channel, worker, component)
            if self.done[component.name].result.result != "ok":
                self.broken.add(component.name)

    def replay_finished(self) -> None:
        """Replay the logs of the finished components, in the configured order."""
        components = self.components
        while self.replayed < len(components) and components[self.replayed].name in self.done:
            _replay(self.done[components[self.replayed].name])
            self.replayed += 1

    def stop_workers(self) -> None:
        """End the workers still running (the run stopped early)."""
        for _component, worker in self.running.values():
            worker.terminate()
            worker.join()


def _receive(channel: Connection, worker: Any, component: Component) -> _Outcome:
    """The outcome a worker sent; a worker that died without one is a failed migration."""
    try:
        outcome: _Outcome = channel.recv()
    except EOFError:
        worker.join()
        message = f"{component.name}: worker process ended (exit code {worker.exitcode})"
        logger.error("%s", message)
        return _Outcome(
            RunResult(component.name, result="failed", message=message), EXIT_MIGRATION, []
        )
    finally:
        channel.close()
    worker.join()
    if outcome.interrupted:
        raise KeyboardInterrupt
    if outcome.crash:
        raise RuntimeError(f"{component.name}: worker process failed\n{outcome.crash}")
    return outcome


def _replay(outcome: _Outcome) -> None:
    """Hand a worker's records to this process's handlers (console, log file)."""
    for record in outcome.records:
        logging.getLogger(record.name).handle(record)


@dataclass(frozen=True)
class RunOptions:
    """What a run's settings say of the whole run: seconds to wait for the server to start, how
    many components at once. Each component's own limits (its lock waits, its session's
    timeouts) travel with it: ``Component.timeouts``, resolved by the registry."""

    server_wait: float
    parallel: int
    # How many standbys must replay a run when a component waits for them (None: all).
    replica_min: int | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RunOptions:
        """The options the settings of a run give (already checked and typed by config)."""
        return cls(
            server_wait=settings["server_wait"],
            parallel=settings["parallel"],
            replica_min=settings.get("replica_min"),
        )


def _database_and_owner(component: Component) -> set[tuple[str, str]]:
    """What init creates and two inits must not create at once: the database, the role."""
    server = component.uri or ""
    return {
        ("database", f"{server} {component.database}"),
        ("owner", f"{server} {component.owner}"),
    }


def init_components(
    access: Access, components: Sequence[Component], options: RunOptions
) -> tuple[list[RunResult], int]:
    """Create missing roles, databases, schemas and extensions."""
    from manage_db.services.provisioning import provision_component

    def init(component: Component) -> RunResult:
        actions = provision_component(
            access.admin_uri(component=component),
            component,
            password=access.owner_password(component),
            server_wait=options.server_wait,
        )
        return RunResult(component.name, message="; ".join(actions) or "nothing to create")

    return run_in_order(components, init, options.parallel, shared=_database_and_owner)


def upgrade_components(
    access: Access, components: Sequence[Component], options: RunOptions, target: str = "heads"
) -> tuple[list[RunResult], int]:
    """Bring each component to ``target`` (a specific revision only makes sense for one)."""
    from manage_db.services.up_to_date import all_at_heads, already_at_heads

    concurrent = options.parallel > 1 and len(components) > 1
    if concurrent and not all_at_heads(components, access.owner_uri, options.server_wait):
        # Loaded once here, the workers inherit it instead of each importing it again.
        import manage_db.services.migration  # noqa: F401

    def run(component: Component) -> RunResult:
        started = time.monotonic()
        uri = access.owner_uri(component)

        def full(lock_connection: Any = None) -> RunResult:
            from manage_db.services.migration import upgrade

            return upgrade(
                component,
                uri,
                target,
                server_wait=options.server_wait,
                lock_connection=lock_connection,
            )

        # Nothing to do (the usual case): answered without loading the migration runtime;
        # otherwise the full upgrade goes on with the connection holding the lock.
        result = already_at_heads(
            component, uri, target, server_wait=options.server_wait, otherwise=full
        )
        if result is None:
            result = full()
        # (At the heads, nothing was applied: no wait for the standbys.)
        _wait_for_standbys(access, component, options, result)
        result.duration = time.monotonic() - started
        return result

    return run_in_order(components, run, options.parallel)


def step_component(
    access: Access, component: Component, options: RunOptions, name: str, target: str
) -> tuple[list[RunResult], int]:
    """``downgrade`` or ``stamp`` one component to ``target``."""
    from manage_db.services.migration import single_step

    def step(c: Component) -> RunResult:
        result = single_step(c, access.owner_uri(c), name, target)
        _wait_for_standbys(access, c, options, result)
        return result

    return run_in_order([component], step)


def _wait_for_standbys(
    access: Access, component: Component, options: RunOptions, result: RunResult
) -> None:
    """After a run that changed the database: its standbys replayed it, or StandbysBehind."""
    wait = component.timeouts.replica_wait
    if wait <= 0 or (not result.applied and result.before == result.after):
        return
    from manage_db.replication.service import wait_for_standbys

    try:
        wait_for_standbys(
            access.admin_uri(component=component), component.name, wait, options.replica_min
        )
    except ManageDbError as error:
        error.result = result  # type: ignore[attr-defined]  # the summary keeps what was applied
        raise


def status_components(
    access: Access, components: Sequence[Component], options: RunOptions, servers: bool = False
) -> list[StatusRow]:
    """Where each component stands; ``servers``: each row with the server it was read from."""
    from manage_db.services.status import component_status

    rows = component_status(components, access.owner_uri, options.server_wait)
    if not servers:
        return rows
    from manage_db.replication.service import server_of

    return [
        row if row.error else dataclasses.replace(row, server=server_of(access, component))
        for row, component in zip(rows, components, strict=True)
    ]
