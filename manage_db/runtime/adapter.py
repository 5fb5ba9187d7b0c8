"""One component's alembic tree, loaded once per run and driven the way alembic.command does.

``MigrationTree.load`` builds the alembic Config from the tree's own ``alembic.ini`` (so
``%(here)s`` works and a stock env.py finds ``config.config_file_name``), sets the main option
``configure_logging = false`` and loads the ScriptDirectory once. Each command (upgrade, downgrade,
stamp, offline SQL) is one ``EnvironmentContext`` + ``script.run_env()``, as in alembic.command:
the tree is never reloaded per step. Whatever the env.py asks:

- ``ALEMBIC_DB_URI`` holds the URL, pinned to psycopg2, while env.py is imported and runs (stock
  env.py files read it once, at import);
- its ``configure()`` is wrapped: one revision per transaction (``transaction_per_migration``),
  our per-step callbacks added, and a version table other than the component's is one clear error;
- the daemon's ``fileConfig`` is ignored and wazo-manage-db's logging (handlers, levels, its log
  file) is put back as it was, so progress lines keep reaching the log file during the run;
- the engine env.py created is disposed of afterwards, so no pooled session outlives the command;
- what migrations print goes to stderr, never to stdout: stdout is the command's own (``--json``,
  a table, the offline SQL).

``MigrationTree.session`` is the same path for verify: env.py runs once per throwaway database,
and each call of the function it hands out is one more alembic command in that env.py's session
(a new MigrationContext with its own impl and memo, a new ``op`` proxy, the revision's module
imported again), so an up / down / up behaves as three ``alembic`` commands would
(``runtime.stepping`` drives it).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import logging
import logging.config
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from manage_db.errors import ManageDbError, TreeError
from manage_db.models import Component
from manage_db.runtime import compat
from manage_db.runtime.batching import (
    StepBatch,
    handles_errors,
    reaches_driver,
    version_writes_batched,
)
from manage_db.runtime.listeners import DOWNGRADE, STAMP, UNSTAMP, UPGRADE, StepListener
from manage_db.runtime.session import sqlalchemy_url

logger = logging.getLogger(__name__)

# (revision, "upgrade" | "downgrade" | "stamp"): the steps of one command of a session.
Moves = Sequence[tuple[str, str]]


class MigrationTree:
    """A component's tree, its alembic Config and the database URL it runs against."""

    def __init__(self, component: Component, config: Config, url: str | None, script: Any = None):
        self.component = component
        self.config = config
        self.url = url
        self.script = script if script is not None else ScriptDirectory.from_config(config)
        # The revision that started and did not finish in the last command, with its direction.
        self.failed_step: tuple[str, str] | None = None
        # Revisions whose code reaches the DBAPI connection or catches exceptions: their
        # statements are never held (runtime.batching).
        self.unbatched_revisions: set[str] = set()
        # Per revision id, what ``fresh_steps`` imports anew: its script and compiled file.
        self._compiled: dict[str, Any] = {}
        self._wrapped = False

    @classmethod
    def load(
        cls, component: Component, uri: str | None, script: Any = None, **options: Any
    ) -> MigrationTree:
        """Load the tree once, to run against ``uri`` (a libpq URI; None: no database);
        ``script``: its ScriptDirectory, already loaded."""
        url = sqlalchemy_url(uri) if uri else None
        return cls(component, make_config(component, url, **options), url, script)

    def at(self, uri: str) -> MigrationTree:
        """The same loaded tree, to run against ``uri`` (another database)."""
        moved = copy.copy(self)
        moved.url = sqlalchemy_url(uri)
        moved.config = make_config(self.component, moved.url)
        moved.failed_step = None
        return moved

    def session(self, serve: Callable[[Callable[[Moves], None]], None]) -> None:
        """Run env.py once; where it runs the migrations, ``serve`` gets a function that runs
        one alembic command per call: the given (revision, direction) steps, in order, a
        direction being ``upgrade``, ``downgrade`` or ``stamp`` (recorded over its parents,
        not run)."""
        self._run(lambda rev, _: (), (), serve=serve)

    def fresh_steps(self, moves: Moves) -> list[Any]:
        """alembic's steps for ``moves``, each revision's module imported anew (as a new command
        would import it): nothing a revision kept at module level carries over."""
        steps = []
        for revision, direction in moves:
            if direction == STAMP:
                steps.append(compat.stamp_step(self.script, revision))
                continue
            script = compat.reload_revision(self.script, revision, self._compiled)
            self._wrap_module(revision, script.module)
            steps.append(compat.revision_step(self.script, script, direction == UPGRADE))
        return steps

    def upgrade(self, target: str, listeners: Sequence[StepListener] = ()) -> None:
        """Apply the revisions up to ``target``, one transaction each."""
        self._run(
            lambda rev, _: compat.upgrade_steps(self.script, target, rev),
            listeners,
            destination_rev=target,
        )

    def downgrade(self, target: str, listeners: Sequence[StepListener] = ()) -> None:
        """Revert the revisions down to ``target``, one transaction each."""
        self._run(
            lambda rev, _: compat.downgrade_steps(self.script, target, rev),
            listeners,
            destination_rev=target,
        )

    def stamp(self, target: str, listeners: Sequence[StepListener] = ()) -> None:
        """Record ``target`` as applied (purging what the version table held), running nothing."""
        destinations = (target,)
        self._run(
            lambda rev, _: compat.stamp_steps(self.script, destinations, rev),
            listeners,
            destination_rev=destinations,
            purge=True,
        )

    def offline_sql(self, target: str, start: str | None = None) -> None:
        """Print the SQL of an upgrade from ``start`` (default: base) to ``target`` to stdout."""
        self.config.output_buffer = sys.stdout  # the SQL; what revisions print goes to stderr
        self._run(
            lambda rev, _: compat.upgrade_steps(self.script, target, rev),
            (),
            as_sql=True,
            starting_rev=start,
            destination_rev=target,
        )

    def create_revision(self, message: str, rev_id: str | None = None) -> Path:
        """Write a new revision file from the tree's template; return its path."""
        from alembic import command

        script = command.revision(self.config, message=message, rev_id=rev_id)
        return Path(script.path)  # type: ignore[union-attr]

    def _run(
        self,
        steps: Callable[[Any, Any], Any],
        listeners: Sequence[StepListener],
        serve: Any = None,
        **context_options: Any,
    ) -> None:
        self.failed_step = None
        with compat.prints_to_stderr():  # stdout is the command's own
            self._wrap_revisions()
            self._run_env(steps, listeners, serve, **context_options)

    def _run_env(
        self,
        steps: Callable[[Any, Any], Any],
        listeners: Sequence[StepListener],
        serve: Any,
        **context_options: Any,
    ) -> None:
        environment = _RuntimeEnvironment(self, steps, listeners, serve, **context_options)
        with (
            _heap_frozen(),
            _alembic_db_uri(self.url),
            _own_logging_kept(),
            version_writes_batched(),
            environment,
        ):
            try:
                self.script.run_env()
            except BaseException as error:
                if self.failed_step is not None:
                    for listener in listeners:
                        listener.step_failed(*self.failed_step, error)
                raise
            finally:
                environment.release_engine()

    def _wrap_revisions(self) -> None:
        """Wrap each revision's upgrade()/downgrade() once, so step_started runs just before it."""
        if self._wrapped:
            return
        for revision in self._revisions():
            module = revision.module
            if reaches_driver(module) or handles_errors(module):
                self.unbatched_revisions.add(revision.revision)
            self._wrap_module(revision.revision, module)
        self._wrapped = True

    def _wrap_module(self, revision: str, module: Any) -> None:
        """step_started just before the revision's function; a missing one fails naming it."""
        for direction in (UPGRADE, DOWNGRADE):
            original = getattr(module, direction, None)
            if getattr(original, "announced", False):
                continue  # wrapped already (another MigrationTree on the same scripts)
            if not callable(original):
                original = _missing(revision, direction, getattr(module, "__file__", None))
            setattr(module, direction, _announced(revision, direction, original))

    def _revisions(self) -> list[Any]:
        """Every revision of the tree, imported; a file that does not import is a TreeError."""
        try:
            return list(self.script.walk_revisions())
        except ManageDbError:
            raise
        except SyntaxError as error:
            raise TreeError(
                f"{error.filename}:{error.lineno}: syntax error: {error.msg}"
            ) from error
        except Exception as error:
            where = _revision_file_in_traceback(error, Path(self.script.versions))
            first = (str(error).strip().splitlines() or [""])[0]
            raise TreeError(
                f"{self.component.name}: cannot load {where or self.script.versions}: "
                f"{type(error).__name__}: {first}"
            ) from error


def is_usage_error(error: BaseException) -> bool:
    """Whether ``error`` is alembic refusing the command itself (an unknown or ambiguous target,
    several heads), not a revision failing."""
    return type(error).__module__.startswith("alembic") and type(error).__name__ in (
        "CommandError",
        "ResolutionError",
        "RangeNotAncestorError",
        "MultipleHeads",
    )


def _revision_file_in_traceback(error: BaseException, versions: Path) -> Path | None:
    """The revision file whose import raised ``error`` (the innermost frame in ``versions``)."""
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        filename = Path(traceback.tb_frame.f_code.co_filename)
        if filename.parent == versions:
            found = filename
        traceback = traceback.tb_next
    return found


def _from_heads(moves: Moves, steps: list[Any], heads: Any) -> list[Any]:
    """``steps``, when the version table is where the first of ``moves`` starts: its revision
    applied for a downgrade, not yet for an upgrade or a stamp."""
    if moves:
        revision, direction = moves[0]
        current = tuple(heads or ())
        if (revision in current) == (direction != DOWNGRADE):
            raise RuntimeError(
                f"cannot {direction} {revision}: the version table holds "
                f"{', '.join(current) or 'no revision'}"
            )
    return steps


class MissingMigrationFunction(Exception):
    """A revision has no upgrade() or downgrade() to run."""


def _missing(revision: str, direction: str, path: str | None) -> Callable[..., Any]:
    where = f" ({path})" if path else ""

    def absent(*args: Any, **kwargs: Any) -> None:
        raise MissingMigrationFunction(f"revision {revision}{where} has no {direction}() function")

    return absent


def _announced(revision: str, direction: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def migration(*args: Any, **kwargs: Any) -> Any:
        environment = _RuntimeEnvironment.active
        if environment is not None:
            environment.step_started(revision, direction)
        return function(*args, **kwargs)

    functools.update_wrapper(migration, function)  # __wrapped__: inspect reads the revision's
    migration.announced = True  # type: ignore[attr-defined]
    return migration


class _RuntimeEnvironment:
    """alembic's EnvironmentContext for one command, its configure() held to the runtime's rules.

    alembic installs ``alembic.context`` per EnvironmentContext class, so the context is wrapped
    (its ``configure`` replaced on the instance before the proxy is installed), not subclassed.
    """

    active: _RuntimeEnvironment | None = None

    def __init__(
        self,
        tree: MigrationTree,
        steps: Callable[[Any, Any], Any],
        listeners: Sequence[StepListener],
        serve: Any = None,
        **options: Any,
    ):
        self.tree = tree
        self.listeners = tuple(listeners)
        self.engine: Any = None
        self.batch: StepBatch | None = None
        self.steps = steps
        self.serve = serve
        # What the version table holds after the last command of a session, and as the steps
        # of the running one leave it: a command that follows need not read it again.
        self.known_heads: tuple[str, ...] | None = None
        self.applied_heads: tuple[str, ...] | None = None
        self.configured: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self.template: compat.ContextTemplate | None = None
        self.context = EnvironmentContext(
            tree.config, tree.script, fn=lambda rev, ctx: self.steps(rev, ctx), **options
        )
        self._configure = self.context.configure
        self.context.configure = self.configure  # type: ignore[method-assign]
        self._run_migrations = self.context.run_migrations
        self.context.run_migrations = self.run_migrations  # type: ignore[method-assign]

    def __enter__(self) -> _RuntimeEnvironment:
        _RuntimeEnvironment.active = self
        self.context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        _RuntimeEnvironment.active = None
        self.context.__exit__(*exc)

    def run_migrations(self, **kw: Any) -> None:
        """env.py's ``context.run_migrations()``: the command's steps, or (``session``) as many
        commands as ``serve`` asks for, each with a MigrationContext of its own."""
        serve, self.serve = self.serve, None
        if serve is None:
            self._run_migrations(**kw)
            return
        commands = 0

        def command(moves: Moves) -> None:
            nonlocal commands
            steps = self.tree.fresh_steps(moves)
            if commands and self.configured is not None:  # env.py configured the first one
                self._renew_context(*self.configured)
            commands += 1
            if self.known_heads is not None:
                compat.assume_heads(self.context.get_context(), self.known_heads)
            self.steps = lambda rev, ctx: _from_heads(moves, steps, rev)
            self.known_heads, self.applied_heads = None, None
            try:
                self._run_migrations(**kw)
                # Known only when every step committed (a deferred check may fail at COMMIT).
                self.known_heads = self.applied_heads
            finally:
                self.steps = lambda rev, ctx: ()

        try:
            serve(command)
        finally:
            if self.batch is not None:
                self.batch.uninstall()
                self.batch = None

    def configure(self, *args: Any, **kwargs: Any) -> None:
        """env.py's ``context.configure()``, with our version-table check and step callbacks."""
        self.configured = (args, dict(kwargs))
        expected = self.tree.component.version_table
        declared = kwargs.get("version_table", "alembic_version")
        if declared != expected:
            raise TreeError(
                f"{self.tree.component.name}: {self.tree.script.dir}/env.py uses version table "
                f"'{declared}' but the component is configured with '{expected}'"
            )
        kwargs["transaction_per_migration"] = True
        given = kwargs.get("on_version_apply") or ()
        callbacks = [given] if callable(given) else list(given)
        kwargs["on_version_apply"] = [*callbacks, self._step_applied]
        connection = kwargs.get("connection", args[0] if args else None)
        self.engine = getattr(connection, "engine", None)
        self._configure(*args, **kwargs)
        self.template = compat.ContextTemplate(self.context.get_context())
        if connection is not None and not self.context.is_offline_mode():
            self._hold_statements(connection)

    def _renew_context(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A later command of a session: a MigrationContext of its own, as env.py's
        ``configure()`` made the first one (compat.ContextTemplate), on the same connection."""
        connection = kwargs.get("connection", args[0] if args else None)
        if self.template is None or connection is None:
            self.configure(*args, **kwargs)
            return
        self.template.renewed(self.context, connection)
        self._hold_statements(connection)

    def _hold_statements(self, connection: Any) -> None:
        """Statements of a step go out together, with alembic's version write (runtime.batching).
        A later command of a session hands its new MigrationContext to the batch already on
        env.py's connection."""
        if self.batch is not None and self.batch.connection is connection:
            self.batch.rebind(self.context.get_context())
            return
        writers = [
            writer
            for writer in (getattr(lst, "version_write_sql", None) for lst in self.listeners)
            if writer is not None
        ]
        self.batch = StepBatch(
            self.context.get_context(), connection, lambda: self.tree.failed_step, writers
        )
        self.batch.install()

    def release_engine(self) -> None:
        """Close what the env.py's engine still pools (stock env.py files close, never dispose)."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def step_started(self, revision: str, direction: str) -> None:
        """A revision's migration function is about to run."""
        self.tree.failed_step = (revision, direction)
        if self.context.is_offline_mode():
            return
        if self.batch is not None:
            self.batch.allowed = revision not in self.tree.unbatched_revisions
        connection = self._driver_connection()
        for listener in self.listeners:
            listener.step_started(revision, direction, connection)

    def _step_applied(self, ctx: Any = None, step: Any = None, **kw: Any) -> None:
        self.tree.failed_step = None
        heads = kw.get("heads")
        self.applied_heads = tuple(sorted(heads)) if heads is not None else None
        if self.context.is_offline_mode():
            return
        if self.batch is not None:
            self.batch.flush()  # the listeners' statements come after the step's own
        connection = self._driver_connection()
        if step.is_stamp:
            # A stamp may record (or remove) several revisions at once: each is told.
            direction = STAMP if step.is_upgrade else UNSTAMP
            revisions = step.up_revision_ids if step.is_upgrade else step.down_revision_ids
        else:
            # alembic passes a MigrationInfo: up_revision_id is the revision applied or reverted.
            direction = UPGRADE if step.is_upgrade else DOWNGRADE
            revisions = (step.up_revision_id,)
        for revision in revisions:
            for listener in self.listeners:
                listener.step_applied(revision, direction, connection)

    def _driver_connection(self) -> Any:
        """The psycopg2 connection under the migration's SQLAlchemy connection."""
        pooled = self.context.get_context().connection.connection  # type: ignore[union-attr]
        return getattr(pooled, "dbapi_connection", pooled)


def make_config(component: Component, url: str | None, **options: Any) -> Config:
    """An alembic Config carrying the tree's own alembic.ini (when there is one beside the tree)."""
    ini = Path(component.script_location).parent / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(component.script_location))
    # auth and call-logd skip their fileConfig on this; the others are handled by _own_logging_kept.
    config.set_main_option("configure_logging", "false")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["manage_db"] = {
        "url": url,
        "version_table": component.version_table,
        "schema": component.schema,
        **options,
    }
    return config


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """What is loaded so far (the tree, alembic, SQLAlchemy) left out of garbage collections
    for the run: each would scan it again, for nothing. The run collects its own garbage, even
    when the start-up went without (launcher.main)."""
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()


@contextlib.contextmanager
def _alembic_db_uri(url: str | None) -> Iterator[None]:
    """ALEMBIC_DB_URI set for a stock env.py, the previous value restored afterwards."""
    previous = os.environ.get("ALEMBIC_DB_URI")
    if url:
        os.environ["ALEMBIC_DB_URI"] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ALEMBIC_DB_URI", None)
        else:
            os.environ["ALEMBIC_DB_URI"] = previous


@contextlib.contextmanager
def _own_logging_kept() -> Iterator[None]:
    """The daemon's fileConfig ignored, and every logger's handlers and level put back after."""
    manager = logging.getLogger().manager
    loggers = [logging.getLogger()] + [
        item for item in list(manager.loggerDict.values()) if isinstance(item, logging.Logger)
    ]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    file_config = logging.config.fileConfig
    logging.config.fileConfig = _daemon_file_config_ignored  # type: ignore[assignment]
    try:
        yield
    finally:
        logging.config.fileConfig = file_config
        for lg, level, handlers, propagate, disabled in saved:
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate = propagate
            lg.disabled = disabled


def _daemon_file_config_ignored(fname: Any, *args: Any, **kwargs: Any) -> None:
    logger.debug("ignored the tree's logging configuration (%s)", fname)
