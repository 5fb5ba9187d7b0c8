"""The private alembic API wazo-manage-db relies on, in one place, for alembic 1.8 to 1.20.

The migration runtime (``adapter``) drives alembic the public way, except for the step lists:
``alembic.command.upgrade``/``downgrade``/``stamp`` hand ``EnvironmentContext`` a function built on
``ScriptDirectory._upgrade_revs``/``_downgrade_revs``/``_stamp_revs``; the runtime does the same
(so it can keep one loaded ScriptDirectory) through ``upgrade_steps``, ``downgrade_steps`` and
``stamp_steps`` (same signatures on alembic 1.8.1 and 1.20).

verify runs one revision at a time, thousands of times per tree, on one connection: going
through ``MigrationContext.run_migrations`` for each step would look for the version table
and read the heads again every time.  What it needs instead, none of it public alembic API:

* a transaction per step (``begin_transaction(_per_migration=True)``);
* the version table made once (``_ensure_version_table``, its Table ``_version``) and moved
  one step at a time (``HeadMaintainer``: its ``heads`` kept in step with one-row writes
  compiled once, ``update_to_step`` for merges and branch points);
* a ``MigrationStep`` built from one revision script.

``load_tree`` gives the revision facts verify reasons about (order, heads, parents, modules),
so that no service imports alembic.  tests/verify/test_runtime_compat.py checks every one of
these entry points on the installed alembic (each stack has one of the supported versions).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

from manage_db.errors import TreeError

logger = logging.getLogger(__name__)


def upgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` up to ``destination``, as ``alembic upgrade`` computes them."""
    return script._upgrade_revs(destination, current)


def downgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` down to ``destination``, as ``alembic downgrade`` computes them."""
    return script._downgrade_revs(destination, current)


def stamp_steps(script: Any, destinations: tuple[str, ...], current: Any) -> Any:
    """Version-table moves to ``destinations``, as ``alembic stamp`` computes them."""
    return script._stamp_revs(destinations, current)


class Tree:
    """One alembic script directory, loaded once: what verify needs to know of its revisions."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.location = Path(script.dir)

    @property
    def revisions(self) -> list[str]:
        """Every revision id, base first (parents before children)."""
        return [s.revision for s in reversed(list(self.script.walk_revisions("base", "heads")))]

    @property
    def heads(self) -> tuple[str, ...]:
        """The head revision ids."""
        return tuple(self.script.get_heads())

    def resolve(self, revision: str) -> str | None:
        """The full id of ``revision`` (an id, a prefix or a label), None when unknown."""
        try:
            found = self.script.get_revision(revision)
        except Exception:  # alembic raises several types for unknown or ambiguous ids
            return None
        return None if found is None else str(found.revision)

    def parents(self, revision: str) -> tuple[str, ...]:
        """The ``down_revision`` ids of ``revision`` (empty for a root)."""
        from alembic.util import to_tuple

        return tuple(to_tuple(self.script.get_revision(revision).down_revision, default=()))

    def module(self, revision: str) -> ModuleType:
        """The imported revision file."""
        return self.script.get_revision(revision).module  # type: ignore[no-any-return]


def load_tree(script_location: Path) -> Tree:
    """Load the tree at ``script_location``; TreeError naming the path if it is not one."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    location = Path(script_location)
    if not (location / "versions").is_dir():
        raise TreeError(f"{location}: not an alembic script directory (no versions/ folder)")
    try:
        script = ScriptDirectory(str(location))
        script.get_heads()  # loads every revision file now, so a broken one fails here
    except CommandError as error:
        raise TreeError(f"{location}: {error}") from error
    except Exception as error:  # a revision file that does not import
        raise TreeError(f"{location}: cannot load the revisions: {error}") from error
    return Tree(script)


class StepRunner:
    """One connection and one MigrationContext that run single revisions, each in its own
    transaction with its version-table update.

    ``alembic.context`` and ``alembic.op`` point at this context while it is open, as they
    would inside env.py, so revision files run unchanged.  The env.py of the tree is not run.
    """

    def __init__(self, tree: Tree, uri: str, version_table: str) -> None:
        import psycopg2
        from alembic.config import Config
        from alembic.operations import Operations
        from alembic.runtime.environment import EnvironmentContext
        from alembic.runtime.migration import HeadMaintainer
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self._script = tree.script
        self._engine = create_engine(
            "postgresql+psycopg2://", creator=lambda: psycopg2.connect(uri), poolclass=NullPool
        )
        self._proxies = ExitStack()
        self._connection = self._proxies.enter_context(self._engine.connect())
        env = EnvironmentContext(Config(), self._script)
        env.configure(
            connection=self._connection,
            version_table=version_table,
            transaction_per_migration=True,
        )
        self._context = env.get_context()
        self._proxies.enter_context(env)
        self._proxies.enter_context(Operations.context(self._context))
        self._context.impl.start_migrations()
        heads = self._context.get_current_heads()
        if not heads:
            self._context._ensure_version_table()
        self._heads = HeadMaintainer(self._context, heads)
        self._writes = _VersionWrites(self._context._version)

    def __enter__(self) -> StepRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def current_heads(self) -> tuple[str, ...]:
        """The revisions the version table holds, as this runner moved it."""
        return tuple(sorted(self._heads.heads))

    def upgrade(self, revision: str) -> None:
        """Apply one revision (its own transaction)."""
        self._run(True, revision)

    def downgrade(self, revision: str) -> None:
        """Revert one revision (its own transaction)."""
        self._run(False, revision)

    def stamp(self, revision: str) -> None:
        """Move the version table over one revision without running it (its own transaction)."""
        from alembic.runtime.migration import MigrationStep

        script = self._script.get_revision(revision)
        step = MigrationStep.upgrade_from_script(self._script.revision_map, script)
        with self._context.begin_transaction(_per_migration=True):
            self._record(step, script, True)

    def upgrade_through(self, revisions: Sequence[str]) -> None:
        """Apply ``revisions`` in order, each in its own transaction."""
        for revision in revisions:
            self._run(True, revision)

    def _run(self, is_upgrade: bool, revision: str) -> None:
        from alembic.runtime.migration import MigrationStep

        script = self._script.get_revision(revision)
        make = (
            MigrationStep.upgrade_from_script if is_upgrade else MigrationStep.downgrade_from_script
        )
        step = make(self._script.revision_map, script)
        with self._context.begin_transaction(_per_migration=True):
            logger.debug("Running %s", step)
            step.migration_fn()
            self._record(step, script, is_upgrade)

    def _record(self, step: Any, script: Any, is_upgrade: bool) -> None:
        """Move the version table by one linear step, or let alembic work out a branchy one.

        HeadMaintainer.update_to_step walks the whole ancestry of a downgrade to find which
        branches it unmerges, a cost growing with the history at every step; a revision with
        one parent that is no branch point, moving the only head, needs one UPDATE (or the
        INSERT/DELETE at base), which is what update_to_step would do too.
        """
        heads = self._heads
        down = script.down_revision
        parent = self._script.get_revision(down) if isinstance(down, str) else None
        linear = down is None or (parent is not None and not parent.is_branch_point)
        if linear:
            old, new = (down, script.revision) if is_upgrade else (script.revision, down)
            if heads.heads == ({old} if old else set()):
                self._move_version(old, new)
                return
        heads.update_to_step(step)

    def _move_version(self, old: str | None, new: str | None) -> None:
        """The one-row write HeadMaintainer would make, from statements compiled once (its own
        render a literal per revision, compiled again at every step)."""
        from alembic.util import CommandError

        if old is None:
            statement, expected = self._writes.insert, None
        elif new is None:
            statement, expected = self._writes.delete, 1
        else:
            statement, expected = self._writes.update, 1
        values = {name: value for name, value in (("old", old), ("new", new)) if value}
        result = self._connection.execute(statement, values)
        if expected is not None and result.rowcount != expected:
            raise CommandError(
                f"version table {self._context.version_table}: expected one row at {old}, "
                f"{result.rowcount} found"
            )
        self._heads.heads.discard(old)
        if new is not None:
            self._heads.heads.add(new)

    def close(self) -> None:
        """Restore alembic's proxies and close the connection."""
        self._proxies.close()
        self._engine.dispose()


class _VersionWrites:
    """INSERT, UPDATE and DELETE of one version-table row, with bound revision ids."""

    def __init__(self, table: Any) -> None:
        from sqlalchemy import bindparam

        column = table.c.version_num
        self.insert = table.insert().values(version_num=bindparam("new"))
        self.update = table.update().where(column == bindparam("old"))
        self.update = self.update.values(version_num=bindparam("new"))
        self.delete = table.delete().where(column == bindparam("old"))
