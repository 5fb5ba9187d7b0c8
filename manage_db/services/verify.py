"""Round-trip verification of a migration tree on a throwaway database.

``verify_tree`` creates a database on the server (dropped at the end, even on Ctrl-C), loads
the script directory once, connects once as the owning role, and walks the history from base:
for each revision it upgrades, snapshots, downgrades, compares with the snapshot taken before
the upgrade, upgrades again and compares with the snapshot taken after the first upgrade.
Every revision whose upgrade or downgrade raises, or whose downgrade leaves a difference, is
reported with the differences; the walk goes on as long as the database is at a known state.

The tree's env.py is not run: alembic is driven directly through one MigrationContext with
the component's version table, so a step costs the migration and its snapshot, not a reload.
A snapshot after a step reads again only what the step touched, as told by event triggers in
the throwaway database (dao.ddl_log), or everything when they cannot tell; a full read at the
end must agree with the patched snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manage_db.dao import throwaway
from manage_db.dao.ddl_log import LOG_SCHEMA, DdlLog
from manage_db.dao.snapshot import Snapshot, SnapshotReader, StaleSnapshot, take_snapshot
from manage_db.dao.throwaway import Sandbox, connect, run_sql
from manage_db.errors import ConnectionFailed, TreeError
from manage_db.services.schema_diff import Difference, diff_snapshots

logger = logging.getLogger(__name__)

# Properties that name roles: they differ between the throwaway database and a reference
# built elsewhere, so the reference comparison leaves them out.
ROLE_PROPERTIES = ("owner", "acl")

UPGRADE = "upgrade"
DOWNGRADE = "downgrade"
REUPGRADE = "re-upgrade"
HEADS = "heads"
REFERENCE = "reference"
SEED = "seed"
SELF_CHECK = "self-check"


@dataclass(frozen=True)
class VerifyTarget:
    """What to verify: one alembic tree and how its component lives in a database.

    ``owner``: the role migrations run as when it exists on the server (its password in
    ``owner_password``); when None or absent, a throwaway role is created and dropped.
    """

    name: str
    script_location: Path
    version_table: str = "alembic_version"
    schema: str | None = None
    extensions: tuple[str, ...] = ()
    owner: str | None = None
    owner_password: str | None = None


@dataclass(frozen=True)
class VerifyOptions:
    """``reference``: a ``pg_dump -s`` file or a database URI the final schema must match.
    ``seeds``: (revision, SQL file) pairs — the file runs just before that revision's upgrade.
    ``check_rows``: also compare row counts and contents of every table (on with seeds).
    ``incremental``: after each step read again only what the step touched (event-trigger
    log), with a full read to check at the end; False reads the whole catalog every time.
    """

    reference: str | None = None
    seeds: tuple[tuple[str, Path], ...] = ()
    check_rows: bool = False
    incremental: bool = True


@dataclass(frozen=True)
class Defect:
    """One thing wrong with one revision (or with the tree, for ``heads``)."""

    revision: str | None
    step: str  # UPGRADE, DOWNGRADE, REUPGRADE, HEADS, REFERENCE, SEED, SELF_CHECK
    message: str
    differences: tuple[Difference, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "revision": self.revision,
            "step": self.step,
            "message": self.message,
            "differences": [d.as_dict() for d in self.differences],
        }


@dataclass
class VerifyReport:
    """What verify found for one tree."""

    component: str
    revisions: int = 0
    checked: int = 0
    defects: list[Defect] = field(default_factory=list)
    stopped: str | None = None  # why the walk ended before the head, if it did

    @property
    def clean(self) -> bool:
        """True when nothing is wrong and every revision was checked."""
        return not self.defects and self.stopped is None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "component": self.component,
            "clean": self.clean,
            "revisions": self.revisions,
            "checked": self.checked,
            "stopped": self.stopped,
            "defects": [d.as_dict() for d in self.defects],
        }


def verify_tree(
    target: VerifyTarget, admin_uri: str, options: VerifyOptions | None = None
) -> VerifyReport:
    """Verify ``target`` on a throwaway database of the server behind ``admin_uri``."""
    options = options or VerifyOptions()
    script = load_script_directory(target.script_location)
    report = VerifyReport(component=target.name)
    revisions = [s.revision for s in reversed(list(script.walk_revisions("base", "heads")))]
    report.revisions = len(revisions)
    heads = script.get_heads()
    if len(heads) > 1:
        report.defects.append(
            Defect(None, HEADS, f"{len(heads)} heads ({', '.join(sorted(heads))}): merge them")
        )
        report.stopped = "the tree has several heads"
        return report
    seeds = _check_seeds(script, options.seeds)
    with throwaway_database(admin_uri, target) as sandbox:
        walk = _RoundTrip(script, sandbox, target, seeds, options, report)
        walk.run(revisions)
        if options.reference is not None and report.stopped is None:
            walk.compare_with_reference(options.reference, admin_uri)
    return report


def load_script_directory(script_location: Path) -> Any:
    """The alembic ScriptDirectory of a tree; TreeError naming the path if it is not one."""
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
    return script


def _check_seeds(script: Any, seeds: Sequence[tuple[str, Path]]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for revision, path in seeds:
        try:
            resolved = script.get_revision(revision)
        except Exception as error:
            raise TreeError(f"seed {path}: unknown revision {revision}") from error
        if resolved is None:
            raise TreeError(f"seed {path}: unknown revision {revision}")
        if not Path(path).is_file():
            raise TreeError(f"seed file {path} does not exist")
        found[resolved.revision] = Path(path)
    return found


@contextmanager
def throwaway_database(admin_uri: str, target: VerifyTarget) -> Iterator[Sandbox]:
    """A throwaway database for ``target``: owned by its owner role when that role exists
    (else by a throwaway role), its schema and extensions made; dropped after."""
    with throwaway.throwaway_database(
        admin_uri,
        owner=target.owner,
        owner_password=target.owner_password,
        schema=target.schema,
        extensions=target.extensions,
    ) as sandbox:
        yield sandbox


class _Migrator:
    """One connection and one MigrationContext that run single alembic steps.

    What ``MigrationContext.run_migrations`` does for each step, without what it repeats on
    every call (looking for the version table, reading the heads): the version table is made
    once, the heads are kept by one HeadMaintainer, and each step is its migration function
    and its version-table update in one transaction.  ``alembic.context`` and ``alembic.op``
    point at this context for the whole walk, as they would inside env.py.
    """

    def __init__(self, script: Any, owner_dsn: str, version_table: str) -> None:
        import psycopg2
        from alembic.config import Config
        from alembic.operations import Operations
        from alembic.runtime.environment import EnvironmentContext
        from alembic.runtime.migration import HeadMaintainer
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self._script = script
        self._engine = create_engine(
            "postgresql+psycopg2://",
            creator=lambda: psycopg2.connect(owner_dsn),
            poolclass=NullPool,
        )
        self._connection = self._engine.connect()
        self._env = EnvironmentContext(Config(), script)
        self._env.configure(
            connection=self._connection,
            version_table=version_table,
            transaction_per_migration=True,
        )
        self._context = self._env.get_context()
        self._proxies = ExitStack()
        self._proxies.enter_context(self._env)
        self._proxies.enter_context(Operations.context(self._context))
        self._context.impl.start_migrations()
        heads = self._context.get_current_heads()
        if not heads:
            self._context._ensure_version_table()
        self._heads = HeadMaintainer(self._context, heads)

    def upgrade(self, revision: str) -> None:
        """Apply one revision (its own transaction)."""
        self._run(True, revision)

    def downgrade(self, revision: str) -> None:
        """Revert one revision (its own transaction)."""
        self._run(False, revision)

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
        branches it unmerges — a cost growing with the history, every step.  A revision with one
        parent that is no branch point, moving the only head, needs just one UPDATE (or the
        INSERT/DELETE at base) — what update_to_step would do too.
        """
        heads = self._heads
        down = script.down_revision
        parent = self._script.get_revision(down) if isinstance(down, str) else None
        linear = down is None or (parent is not None and not parent.is_branch_point)
        if linear:
            old, new = (down, script.revision) if is_upgrade else (script.revision, down)
            if heads.heads == ({old} if old else set()):
                if old is None:
                    heads._insert_version(new)
                elif new is None:
                    heads._delete_version(old)
                else:
                    heads._update_version(old, new)
                return
        heads.update_to_step(step)

    def close(self) -> None:
        """Close the connection."""
        self._proxies.close()
        self._connection.close()
        self._engine.dispose()


class _RoundTrip:
    """The walk of one tree: up, snapshot, down, compare, up, compare — per revision.

    Snapshots are full at the start and at the end; in between, the event-trigger log tells
    which objects each step touched and only those are read again (``incremental``), or the
    whole catalog when the log cannot tell.  The final full snapshot must equal the patched
    one: a difference is reported as a defect of verify itself.
    """

    def __init__(
        self,
        script: Any,
        sandbox: Sandbox,
        target: VerifyTarget,
        seeds: dict[str, Path],
        options: VerifyOptions,
        report: VerifyReport,
    ) -> None:
        self._script = script
        self._sandbox = sandbox
        self._target = target
        self._seeds = seeds
        self._report = report
        self._snapshot_connection = connect(sandbox.admin_dsn)
        self._reader = SnapshotReader(
            self._snapshot_connection,
            exclude_schemas=[LOG_SCHEMA],
            exclude_tables=[target.version_table],
            with_rows=options.check_rows or bool(seeds),
        )
        self._log: DdlLog | None = None
        if options.incremental:
            self._log = DdlLog(self._snapshot_connection)
            self._log.install()
        self._last: Snapshot | None = None
        self.full_reads = 0
        self.partial_reads = 0

    def run(self, revisions: Sequence[str]) -> None:
        """Walk ``revisions`` (base first), recording defects in the report."""
        migrator = _Migrator(self._script, self._sandbox.owner_dsn, self._target.version_table)
        try:
            before = self._take_full()
            for revision in revisions:
                if revision in self._seeds:
                    self._seed(revision)
                    before = self._take()
                after = self._check_revision(migrator, revision, before)
                if after is None:
                    break
                self._report.checked += 1
                before = after
            else:
                self._last = before
            self._self_check()
        finally:
            migrator.close()
            self._snapshot_connection.close()
        logger.debug("snapshots: %d full, %d partial", self.full_reads, self.partial_reads)

    def _take_full(self) -> Snapshot:
        if self._log is not None:
            self._log.clear()
        self.full_reads += 1
        return self._reader.take()

    def _take(self) -> Snapshot:
        """The snapshot after a step: patched from the DDL log when it can tell what changed."""
        if self._log is None:
            return self._take_full()
        changes = self._log.read()
        if changes.everything is not None:
            logger.debug("full snapshot: %s", changes.everything)
            return self._take_full()
        if changes.none:
            return self._reader.current()
        try:
            snapshot = self._reader.refresh(changes.units)
        except StaleSnapshot as error:
            logger.debug("full snapshot: %s", error)
            return self._take_full()
        self.partial_reads += 1
        return snapshot

    def _self_check(self) -> None:
        """Compare the patched snapshot with a full read; a difference is a bug of verify."""
        if self._log is None:
            return
        last = self._take()
        full = self._reader.take()
        if not full.same_as(last):
            differences = tuple(diff_snapshots(full, last))
            self._report.defects.append(
                Defect(
                    None,
                    SELF_CHECK,
                    "wazo-manage-db bug: the snapshot patched after each step differs from a "
                    f"full read at the end ({len(differences)} difference(s)); please report it "
                    "with the tree",
                    differences,
                )
            )

    def _check_revision(
        self, migrator: _Migrator, revision: str, before: Snapshot
    ) -> Snapshot | None:
        """Round-trip one revision; the snapshot to go on from, or None when the walk must stop."""
        defects = self._report.defects
        try:
            migrator.upgrade(revision)
        except Exception as error:
            defects.append(Defect(revision, UPGRADE, f"upgrade failed: {_one_line(error)}"))
            self._report.stopped = f"upgrade of {revision} failed"
            return None
        after = self._take()
        try:
            migrator.downgrade(revision)
        except Exception as error:
            defects.append(Defect(revision, DOWNGRADE, f"downgrade failed: {_one_line(error)}"))
            # The failed downgrade was rolled back: go on from the upgraded state if it is intact.
            return self._go_on_from(revision, after)
        reverted = self._take()
        if not reverted.same_as(before):
            differences = tuple(diff_snapshots(before, reverted))
            defects.append(
                Defect(
                    revision,
                    DOWNGRADE,
                    f"downgrade does not restore the database: {len(differences)} difference(s)",
                    differences,
                )
            )
        try:
            migrator.upgrade(revision)
        except Exception as error:
            defects.append(
                Defect(revision, REUPGRADE, f"upgrade after downgrade failed: {_one_line(error)}")
            )
            self._report.stopped = f"upgrade of {revision} after its downgrade failed"
            return None
        again = self._take()
        if not again.same_as(after):
            differences = tuple(diff_snapshots(after, again))
            defects.append(
                Defect(
                    revision,
                    REUPGRADE,
                    "upgrade after downgrade gives another database: "
                    f"{len(differences)} difference(s)",
                    differences,
                )
            )
        return again

    def _go_on_from(self, revision: str, expected: Snapshot) -> Snapshot | None:
        now = self._take()
        if now.same_as(expected):
            return now
        self._report.stopped = f"the failed downgrade of {revision} left the database changed"
        return None

    def _seed(self, revision: str) -> None:
        path = self._seeds[revision]
        try:
            run_sql(self._sandbox.owner_dsn, path.read_text())
        except ConnectionFailed:
            raise
        except Exception as error:
            raise TreeError(f"seed {path} before {revision} failed: {_one_line(error)}") from error

    def compare_with_reference(self, reference: str, admin_uri: str) -> None:
        """Compare the head schema with a ``pg_dump -s`` file or another database."""
        assert self._last is not None
        expected = reference_snapshot(reference, admin_uri, self._target.version_table)
        differences = tuple(diff_snapshots(expected, self._last, ignore=ROLE_PROPERTIES))
        # Row checks are for round trips; the reference is a schema.
        differences = tuple(d for d in differences if d.kind != "rows")
        if differences:
            self._report.defects.append(
                Defect(
                    None,
                    REFERENCE,
                    f"head schema differs from {reference}: {len(differences)} difference(s)",
                    differences,
                )
            )


def reference_snapshot(reference: str, admin_uri: str, version_table: str) -> Snapshot:
    """Snapshot of a reference schema: a database URI, or a ``pg_dump -s`` file loaded into a
    throwaway database (psql meta-commands skipped; make it with ``-O -x``)."""
    if reference.startswith(("postgresql://", "postgres://")) or "dbname=" in reference:
        connection = connect(reference)
        try:
            return take_snapshot(connection, exclude_tables=[version_table])
        finally:
            connection.close()
    path = Path(reference)
    if not path.is_file():
        raise TreeError(f"reference {reference}: no such file or database URI")
    dump = "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("\\")
    )
    with throwaway.throwaway_database(admin_uri) as sandbox:
        try:
            run_sql(sandbox.admin_dsn, dump)
        except ConnectionFailed:
            raise
        except Exception as error:
            raise TreeError(f"reference {path} does not load: {_one_line(error)}") from error
        connection = connect(sandbox.admin_dsn)
        try:
            return take_snapshot(connection, exclude_tables=[version_table])
        finally:
            connection.close()


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return f"{type(error).__name__}: {first}" if ":" not in first else first
