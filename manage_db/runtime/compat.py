"""The private alembic API wazo-manage-db relies on, in one place, for alembic 1.8 to 1.20.

The migration runtime (``adapter``) drives alembic the public way, except for the step lists:
``alembic.command.upgrade``/``downgrade``/``stamp`` hand ``EnvironmentContext`` a function built on
``ScriptDirectory._upgrade_revs``/``_downgrade_revs``/``_stamp_revs``; the runtime does the same
(so it can keep one loaded ScriptDirectory) through ``upgrade_steps``, ``downgrade_steps`` and
``stamp_steps`` (same signatures on alembic 1.8.1 and 1.20).

verify runs one revision at a time through the same path (``MigrationTree.session``): its step
list is one ``MigrationStep`` built from one revision script (``revision_step``, what alembic's
own lists hold), after the revision's file is imported again (``reload_revision``), as a new
``alembic`` command would import it; a command that follows another of the same session starts
from the heads that one wrote (``assume_heads``) instead of reading the version table again,
with a MigrationContext made as ``configure()`` made the first one (``ContextTemplate``).
``prints_to_stderr`` keeps what revisions print out of the command's stdout.

``load_tree`` gives the revision facts verify reasons about (order, heads, parents, modules),
so that no service imports alembic.  tests/verify/test_runtime_compat.py checks every one of
these entry points on the installed alembic (each stack has one of the supported versions).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from manage_db.errors import TreeError

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def prints_to_stderr() -> Iterator[None]:
    """What revisions and env.py print goes to stderr (flushed at the end), never into stdout:
    stdout is the command's own (``--json``, a table, the offline SQL)."""
    stderr = sys.stderr
    try:
        with contextlib.redirect_stdout(stderr):
            yield
    finally:
        stderr.flush()


def upgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` up to ``destination``, as ``alembic upgrade`` computes them."""
    return script._upgrade_revs(destination, current)


def downgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` down to ``destination``, as ``alembic downgrade`` computes them."""
    return script._downgrade_revs(destination, current)


def stamp_steps(script: Any, destinations: tuple[str, ...], current: Any) -> Any:
    """Version-table moves to ``destinations``, as ``alembic stamp`` computes them."""
    return script._stamp_revs(destinations, current)


def revision_step(script: Any, revision: Any, is_upgrade: bool) -> Any:
    """The step applying (or reverting) the one revision script ``revision``."""
    from alembic.runtime.migration import MigrationStep

    make = MigrationStep.upgrade_from_script if is_upgrade else MigrationStep.downgrade_from_script
    return make(script.revision_map, revision)


def stamp_step(script: Any, revision: str) -> Any:
    """The step recording ``revision`` as applied over its parents, running nothing: its upgrade
    step with the migration function left out (the version table moves as for an upgrade)."""
    step = revision_step(script, script.get_revision(revision), True)
    step.migration_fn = _nothing
    return step


def _nothing(**kw: Any) -> None:
    """A stamped revision's migration function."""


def reload_revision(script: Any, revision: str, compiled: dict[str, Any]) -> Any:
    """The revision script of ``revision``, its file imported anew: a fresh module, as a new
    ``alembic`` command would import it. ``compiled`` keeps, per revision id, its script and the
    compiled code of its ``.py`` file for the run: each import executes it into a new module,
    without reading, compiling or resolving the revision again."""
    known = compiled.get(revision)
    if known is None:
        found = script.get_revision(revision)
        path = found.path
        if not path.endswith(".py"):  # sourceless trees: alembic's own loader, every time
            from alembic.util import load_python_file

            found.module = load_python_file(*os.path.split(path))
            return found
        with open(path, "rb") as source:
            code = compile(source.read(), path, "exec")
        known = compiled[revision] = (found, found.module.__name__, code)
    found, name, code = known
    module = types.ModuleType(name)
    module.__file__ = found.path
    exec(code, module.__dict__)
    found.module = module
    return found


class ContextTemplate:
    """What env.py's ``configure()`` made of the first MigrationContext of a session, to make
    the context of each later command (``renewed``) without running ``__init__`` again.

    ``MigrationContext.__init__`` reads the options ``configure()`` left and builds, besides
    values only ever read (the options, the dialect, the version table's ``Table``, which alembic
    reads and creates on the server but never alters), the state of one command: its impl (with
    its memo, e.g. of the enum types created), its transaction, the connection's transaction
    state. ``renewed`` builds that state again and shares the rest: the same context as
    ``configure()`` with the same options would make, without building the ``Table`` again or
    logging "Context impl ..." at every command. tests/verify/test_runtime_compat.py compares the
    two on the installed alembic.
    """

    def __init__(self, migration_context: Any) -> None:
        self.type = type(migration_context)
        self.state = dict(vars(migration_context))  # before anything is added to it

    def renewed(self, environment: Any, connection: Any) -> Any:
        """A MigrationContext for the next command on ``connection``, made ``environment``'s
        (an EnvironmentContext: what ``context.get_context()`` returns from now on)."""
        from alembic.util import sqla_compat

        context = object.__new__(self.type)
        context.__dict__.update(self.state)
        context.connection = connection
        context._transaction = None
        context._in_external_transaction = sqla_compat._get_connection_in_transaction(connection)
        old = self.state["impl"]
        context.impl = type(old)(
            context.dialect,
            connection,
            context.as_sql,
            context.opts.get("transactional_ddl"),
            context.output_buffer,
            context.opts,
        )
        environment._migration_context = context
        return context


def assume_heads(migration_context: Any, heads: tuple[str, ...]) -> None:
    """Let ``migration_context`` start from ``heads`` instead of reading the version table
    (``get_current_heads``: one catalog query and one read): for a command that follows
    another of the same session, which wrote those heads itself."""
    migration_context.get_current_heads = lambda: heads


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

    def module(self, revision: str) -> types.ModuleType:
        """The imported revision file."""
        return self.script.get_revision(revision).module  # type: ignore[no-any-return]


def load_tree(script_location: Path, script: Any = None) -> Tree:
    """Load the tree at ``script_location`` (or check ``script``, its ScriptDirectory, loaded
    from the tree's alembic.ini); TreeError naming the path if it is not one."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    location = Path(script_location)
    if not (location / "versions").is_dir():
        raise TreeError(f"{location}: not an alembic script directory (no versions/ folder)")
    try:
        script = script if script is not None else ScriptDirectory(str(location))
        with prints_to_stderr():  # what revision files print on import
            script.get_heads()  # loads every revision file now, so a broken one fails here
    except CommandError as error:
        raise TreeError(f"{location}: {error}") from error
    except Exception as error:  # a revision file that does not import
        raise TreeError(f"{location}: cannot load the revisions: {error}") from error
    return Tree(script)
