"""Round-trip verification of a migration tree on a throwaway database.

``verify_tree`` creates a database on the server (dropped at the end, even on Ctrl-C), loads
the script directory once, connects once as the owning role, and walks the history from base:
for each revision it upgrades, snapshots, downgrades, compares with the snapshot taken before
the upgrade, upgrades again and compares with the snapshot taken after the first upgrade.
Every revision whose upgrade or downgrade raises, or whose downgrade leaves a difference, is
reported with the differences.  When a step leaves the database somewhere no upgrade leads
(a failed re-upgrade, a failed downgrade that changed something, a re-upgrade giving another
schema), the database is rebuilt at that revision and the walk goes on: one run reports every
defect of the history.  Only a failing first upgrade ends the walk (nothing above it can run).

Which revisions are walked how, in which order (every branch, merges after their parents,
``verify.skip_revisions``, ``verify.minimum_downgrade_revision``, baselines) is the walk plan of
``services.verify_walk``; this module runs its steps.  A revision declared irreversible, or whose
downgrade raises NotImplementedError, is upgraded but not round-tripped, and listed as such, not
as a defect.

Each step runs on upgrade's path: the tree's env.py (its ``configure()`` options, its engine),
upgrade's session settings and statement batching, each step one alembic command of its own
(``runtime.stepping``: a new MigrationContext, ``op`` proxy and revision module per step, so no
memo of enum types or other state carries over); env.py runs once per throwaway database.
A snapshot after a step reads again only what the step touched, as told by event triggers in
the throwaway database (dao.ddl_log), or everything when they cannot tell; a full read at the
end must agree with the patched snapshot.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manage_db.dao import throwaway
from manage_db.dao.connection import connect
from manage_db.dao.ddl_log import LOG_SCHEMA, DdlLog
from manage_db.dao.session import migration_session_uri
from manage_db.dao.snapshot import Snapshot, SnapshotReader, StaleSnapshot, take_snapshot
from manage_db.dao.throwaway import ThrowawayDatabase, ThrowawayServer, run_sql
from manage_db.errors import ConnectionFailed, ManageDbError, TreeError, one_line
from manage_db.models import Component
from manage_db.runtime.adapter import MigrationTree
from manage_db.runtime.compat import Tree, load_tree
from manage_db.runtime.stepping import RevisionSteps, open_steps
from manage_db.services.schema_diff import Difference, diff_snapshots
from manage_db.services.verify_walk import STAMP, UPGRADE_ONLY, WalkPolicy, WalkStep, plan_walk
from manage_db.timeouts import SessionTimeouts

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
    ``schema``: the component's schema, made before the walk and the only one on the owner's
    ``search_path`` (as in ``upgrade``).
    ``walk``: the ``verify.*`` settings shaping the walk plan (skipped revisions, the minimum
    downgrade revision, declared baselines).
    """

    name: str
    script_location: Path
    version_table: str = "alembic_version"
    schema: str | None = None
    extensions: tuple[str, ...] = ()
    owner: str | None = None
    owner_password: str | None = None
    walk: WalkPolicy = WalkPolicy()


@dataclass(frozen=True)
class VerifyOptions:
    """``reference``: a ``pg_dump -s`` file or a database URI the final schema must match.
    ``seeds``: (revision, SQL file) pairs — the file runs just before that revision's upgrade.
    ``check_rows``: also compare row counts and contents of every table (on with seeds).
    ``incremental``: after each step read again only what the step touched (event-trigger
    log), with a full read to check at the end; False reads the whole catalog every time.
    ``timeouts``: the migration session's limits, as ``upgrade`` sets them.
    """

    reference: str | None = None
    seeds: tuple[tuple[str, Path], ...] = ()
    check_rows: bool = False
    incremental: bool = True
    timeouts: SessionTimeouts = field(default_factory=SessionTimeouts)


@dataclass(frozen=True)
class Defect:
    """One thing wrong with one revision (or with the tree, for ``heads``)."""

    revision: str | None
    step: str  # UPGRADE, DOWNGRADE, REUPGRADE, HEADS, REFERENCE, SEED, SELF_CHECK
    message: str
    differences: tuple[Difference, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "revision": self.revision,
            "step": self.step,
            "message": self.message,
            "differences": [d.to_dict() for d in self.differences],
        }


@dataclass(frozen=True)
class NotRoundTripped:
    """A revision declared irreversible: upgraded, never downgraded; not a defect."""

    revision: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"revision": self.revision, "reason": self.reason}


@dataclass
class VerifyReport:
    """What verify found for one tree.

    ``revisions``: all of the tree, base first; ``checked``: how many were walked (upgraded or
    stamped, and round-tripped unless listed in ``not_round_tripped``); ``rebuilds``: how many times
    the database was rebuilt at a revision after a step left it where no upgrade leads.
    """

    component: str
    revisions: int = 0
    checked: int = 0
    defects: list[Defect] = field(default_factory=list)
    not_round_tripped: list[NotRoundTripped] = field(default_factory=list)
    stopped: str | None = None  # why the walk ended before the head, if it did
    rebuilds: int = 0
    order: list[str] = field(default_factory=list)  # the revision ids, base first

    @property
    def clean(self) -> bool:
        """True when nothing is wrong and every revision was checked."""
        return not self.defects and self.stopped is None

    def defects_of(self, revision: str | None) -> list[Defect]:
        """The defects of one revision (None: of the tree as a whole)."""
        return [d for d in self.defects if d.revision == revision]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "component": self.component,
            "clean": self.clean,
            "revisions": self.revisions,
            "checked": self.checked,
            "not_round_tripped": [n.to_dict() for n in self.not_round_tripped],
            "rebuilds": self.rebuilds,
            "stopped": self.stopped,
            "defects": [d.to_dict() for d in self.defects],
        }


def verify_tree(
    target: VerifyTarget, admin_uri: str, options: VerifyOptions | None = None
) -> VerifyReport:
    """Verify ``target`` on a throwaway database of the server behind ``admin_uri``."""
    options = options or VerifyOptions()
    tree = load_script_directory(target.script_location)
    report = VerifyReport(component=target.name)
    revisions = tree.revisions
    report.revisions = len(revisions)
    report.order = list(revisions)
    steps = plan_walk(tree, target.walk)
    heads = tree.heads
    if len(heads) > 1:  # every branch is still walked
        report.defects.append(
            Defect(None, HEADS, f"{len(heads)} heads ({', '.join(sorted(heads))}): merge them")
        )
    seeds = _check_seeds(tree, options.seeds)
    split = _split(len(steps)) if not seeds else 0
    if not split:
        _walk(tree, admin_uri, target, seeds, options, report, steps, 0, len(steps))
        return report
    # Both cores: the later segment on a database of its own, upgraded through the first one.
    later = VerifyReport(component=target.name)
    child = _fork_walk(tree, admin_uri, target, options, later, steps, split)
    try:
        _walk(tree, admin_uri, target, seeds, options, report, steps, 0, split)
    finally:
        later = _join_walk(child)
    _merge(report, later)
    return report


# Histories at least this long are verified in two segments, one per core.
PARALLEL_MIN_REVISIONS = 100
# The share of the history the first segment walks: the second one also upgrades through it.
FIRST_SEGMENT_SHARE = 0.55


def _split(count: int) -> int:
    """Where the second segment starts (0: one walk), from the cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if cores < 2 or count < PARALLEL_MIN_REVISIONS:
        return 0
    return int(count * FIRST_SEGMENT_SHARE)


def _walk(
    tree: Tree,
    admin_uri: str,
    target: VerifyTarget,
    seeds: dict[str, Path],
    options: VerifyOptions,
    report: VerifyReport,
    steps: Sequence[WalkStep],
    start: int,
    end: int,
) -> None:
    """Walk ``steps[start:end]`` on a throwaway database (the reference at the head)."""
    with _server(admin_uri, target) as server:
        walk = _RoundTrip(tree, server, target, seeds, options, report)
        try:
            walk.run(steps[:end], start)
            at_head = end == len(steps)
            if at_head and options.reference is not None and report.stopped is None:
                walk.compare_with_reference(options.reference, admin_uri)
        finally:
            walk.close()


def _fork_walk(
    tree: Tree,
    admin_uri: str,
    target: VerifyTarget,
    options: VerifyOptions,
    report: VerifyReport,
    steps: Sequence[WalkStep],
    start: int,
) -> tuple[int, int]:
    """(pid, read end of its pipe) of a child walking ``steps[start:]``; it sends back the
    pickled report, or the exception that ended it.  Forked before any connection is open."""
    import pickle

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        try:
            try:
                _walk(tree, admin_uri, target, {}, options, report, steps, start, len(steps))
                outcome: Any = report
            except BaseException as error:
                outcome = error
            try:
                data = pickle.dumps(outcome)
            except Exception:
                data = pickle.dumps(RuntimeError(f"verify of the later segment: {outcome!r}"))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _join_walk(child: tuple[int, int]) -> VerifyReport:
    """The child's report; its exception raised here."""
    import pickle

    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError("verify of the later segment ended without a report")
    outcome = pickle.loads(data)
    if isinstance(outcome, BaseException):
        raise outcome
    assert isinstance(outcome, VerifyReport)
    return outcome


def _merge(report: VerifyReport, later: VerifyReport) -> None:
    """The later segment's findings after the first one's; nothing of it if the first stopped
    (a walk that stops at a revision checks nothing above it)."""
    if report.stopped is not None:
        return
    report.checked += later.checked
    report.rebuilds += later.rebuilds
    report.defects.extend(later.defects)
    report.not_round_tripped.extend(later.not_round_tripped)
    report.stopped = later.stopped


def load_script_directory(script_location: Path) -> Tree:
    """The revisions of a tree, loaded once (with its alembic.ini's options when it has one);
    TreeError naming the path if it is not one."""
    location = Path(script_location)
    script = None
    if (location / "versions").is_dir():
        try:
            script = _runtime_tree(location.resolve().name, location).script
        except Exception:  # load_tree names what is wrong
            script = None
    return load_tree(location, script)


def _runtime_tree(
    name: str,
    location: Path,
    version_table: str = "alembic_version",
    schema: str | None = None,
    script: Any = None,
) -> MigrationTree:
    """The tree as upgrade runs it (no database yet: ``at(uri)`` gives one); ``script``: its
    revisions, loaded already."""
    component = Component(
        name=name,
        script_location=location,
        database="",
        owner="",
        version_table=version_table,
        schema=schema,
    )
    return MigrationTree.load(component, None, script)


def _check_seeds(tree: Tree, seeds: Sequence[tuple[str, Path]]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for revision, path in seeds:
        resolved = tree.resolve(revision)
        if resolved is None:
            raise TreeError(f"seed {path}: unknown revision {revision}")
        if not Path(path).is_file():
            raise TreeError(f"seed file {path} does not exist")
        found[resolved] = Path(path)
    return found


def _server(admin_uri: str, target: VerifyTarget) -> ThrowawayServer:
    return ThrowawayServer(
        admin_uri,
        owner=target.owner,
        owner_password=target.owner_password,
        schema=target.schema,
        extensions=target.extensions,
    )


@contextmanager
def throwaway_database(admin_uri: str, target: VerifyTarget) -> Iterator[ThrowawayDatabase]:
    """A throwaway database for ``target``: owned by its owner role when that role exists
    (else by a throwaway role), its schema and extensions made; dropped after."""
    with _server(admin_uri, target) as server:
        yield server.new_database()


class _Rebuild(Exception):
    """The database is where no upgrade leads: rebuild it at the revision just checked."""


class _RoundTrip:
    """The walk of one tree: up, snapshot, down, compare, up, compare — per revision.

    Snapshots are full at the start and at the end; in between, the event-trigger log tells
    which objects each step touched and only those are read again (``incremental``), or the
    whole catalog when the log cannot tell.  The final full snapshot must equal the patched
    one: a difference is reported as a defect of verify itself.
    """

    def __init__(
        self,
        tree: Tree,
        server: ThrowawayServer,
        target: VerifyTarget,
        seeds: dict[str, Path],
        options: VerifyOptions,
        report: VerifyReport,
    ) -> None:
        self._tree = tree
        self._server = server
        self._target = target
        self._seeds = seeds
        self._options = options
        self._report = report
        self._last: Snapshot | None = None
        self.full_reads = 0
        self.partial_reads = 0
        self._runtime = _runtime_tree(
            target.name,
            Path(target.script_location),
            target.version_table,
            target.schema,
            tree.script,  # loaded once, shared with the walk
        )
        self._open()

    def _open(self) -> None:
        """A new database, its DDL log, the snapshot reader and the migrating connection."""
        self._database = self._server.new_database()
        self._snapshot_connection = connect(self._database.admin_uri)
        self._reader = SnapshotReader(
            self._snapshot_connection,
            exclude_schemas=[LOG_SCHEMA],
            exclude_tables=[self._target.version_table],
            with_rows=self._options.check_rows or bool(self._seeds),
        )
        self._log: DdlLog | None = None
        if self._options.incremental:
            self._log = DdlLog(self._snapshot_connection)
            self._log.install()
        uri = migration_session_uri(
            self._database.owner_uri,
            self._options.timeouts,
            self._snapshot_connection.server_version,
        )
        self._migrator: RevisionSteps | None = open_steps(self._runtime, uri)

    def close(self) -> None:
        """Close the connections and drop the current database."""
        if self._migrator is not None:
            self._migrator.close()
            self._migrator = None
        self._snapshot_connection.close()
        self._server.drop_database(self._database)

    @property
    def migrator(self) -> RevisionSteps:
        assert self._migrator is not None
        return self._migrator

    def run(self, steps: Sequence[WalkStep], start: int = 0) -> None:
        """Walk ``steps[start:]`` (base first), recording defects in the report; the
        database is first brought through ``steps[:start]``, unchecked."""
        before = (
            self._take_full()
            if not start
            else self._upgrade_through(steps[:start], "upgrading a new database")
        )
        if before is None:
            return
        index = start
        while before is not None and index < len(steps):
            # On env.py's thread, its steps without a handoff between threads each.
            walk = functools.partial(self._walk_from, steps, index, before)
            index, before, rebuild = self.migrator.run(walk)
            if rebuild:
                before = self._rebuild(steps[: index + 1])
                if before is not None:
                    self._report.checked += 1
                    index += 1
        self._last = before
        self._self_check()
        logger.debug("snapshots: %d full, %d partial", self.full_reads, self.partial_reads)

    def _walk_from(
        self, steps: Sequence[WalkStep], start: int, before: Snapshot
    ) -> tuple[int, Snapshot | None, bool]:
        """Walk ``steps[start:]`` from ``before``, the database as it describes: where the
        walk ended, the snapshot to go on from (None: the walk must stop) and whether the
        database must be rebuilt at that step."""
        for index in range(start, len(steps)):
            step = steps[index]
            if step.revision in self._seeds:
                self._seed(step.revision)
                before = self._take()
            if step.action == STAMP:
                self.migrator.stamp(step.revision)
                self._report.not_round_tripped.append(
                    NotRoundTripped(step.revision, step.reason or "")
                )
                self._report.checked += 1  # walked (stamped): "checked" counts a prefix
                continue
            try:
                after = self._check_revision(step, before)
            except _Rebuild:
                return index, before, True
            if after is None:
                return index, None, False
            self._report.checked += 1
            before = after
        return len(steps), before, False

    def _rebuild(self, steps: Sequence[WalkStep]) -> Snapshot | None:
        """A fresh database brought through ``steps`` (seeds run where they belong)."""
        logger.debug("rebuilding the database at %s", steps[-1].revision)
        self._report.rebuilds += 1
        self._self_check()
        self.close()
        self._open()
        return self._upgrade_through(steps, "rebuilding the database")

    def _upgrade_through(self, steps: Sequence[WalkStep], what: str) -> Snapshot | None:
        """Bring the database through ``steps`` (skipped ones stamped): its full snapshot, None
        when an upgrade failed."""
        try:
            pending: list[str] = []
            for step in steps:
                if step.revision in self._seeds or step.action == STAMP:
                    self.migrator.upgrade_through(pending)  # the upgrades before it, one command
                    pending = []
                if step.revision in self._seeds:
                    self._seed(step.revision)
                if step.action == STAMP:
                    self.migrator.stamp(step.revision)
                else:
                    pending.append(step.revision)
            self.migrator.upgrade_through(pending)
        except ManageDbError:
            raise
        except Exception as error:
            self._report.stopped = f"{what} at {steps[-1].revision} failed: {one_line(error)}"
            return None
        return self._take_full()

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

    def _check_revision(self, step: WalkStep, before: Snapshot) -> Snapshot | None:
        """Round-trip one revision (or only upgrade it, as its step says): the snapshot to go
        on from, None when the walk must stop; _Rebuild when the database is left where no
        upgrade leads."""
        defects = self._report.defects
        revision = step.revision
        try:
            self.migrator.upgrade(revision)
        except ManageDbError:
            raise  # the tree (its env.py) or the server, not this revision
        except Exception as error:
            defects.append(Defect(revision, UPGRADE, f"upgrade failed: {one_line(error)}"))
            self._report.stopped = f"upgrade of {revision} failed"
            return None
        after = self._take()
        if step.action == UPGRADE_ONLY:
            self._report.not_round_tripped.append(NotRoundTripped(revision, step.reason or ""))
            return after
        try:
            self.migrator.downgrade(revision)
        except NotImplementedError as error:
            self._report.not_round_tripped.append(
                NotRoundTripped(revision, f"downgrade raises NotImplementedError: {error}".strip())
            )
            return self._go_on_from(after)
        except Exception as error:
            defects.append(Defect(revision, DOWNGRADE, f"downgrade failed: {one_line(error)}"))
            # The failed downgrade was rolled back: go on from the upgraded state if it is intact.
            return self._go_on_from(after)
        self._compare(revision, DOWNGRADE, "downgrade does not restore the database", before)
        try:
            self.migrator.upgrade(revision)
        except Exception as error:
            defects.append(
                Defect(revision, REUPGRADE, f"upgrade after downgrade failed: {one_line(error)}")
            )
            raise _Rebuild() from error
        again = self._compare(
            revision, REUPGRADE, "upgrade after downgrade gives another database", after
        )
        if not again.same_as(after):
            raise _Rebuild()
        return again

    def _compare(self, revision: str, step: str, what: str, expected: Snapshot) -> Snapshot:
        """The snapshot after ``step``; a defect with the differences when not ``expected``."""
        now = self._take()
        if not now.same_as(expected):
            differences = tuple(diff_snapshots(expected, now))
            self._report.defects.append(
                Defect(revision, step, f"{what}: {len(differences)} difference(s)", differences)
            )
        return now

    def _go_on_from(self, expected: Snapshot) -> Snapshot:
        """After a downgrade that raised: go on if it left nothing, else rebuild."""
        now = self._take()
        if now.same_as(expected):
            return now
        raise _Rebuild()

    def _seed(self, revision: str) -> None:
        path = self._seeds[revision]
        try:
            run_sql(self._database.owner_uri, path.read_text())
        except ConnectionFailed:
            raise
        except Exception as error:
            raise TreeError(f"seed {path} before {revision} failed: {one_line(error)}") from error

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
    with throwaway.throwaway_database(admin_uri) as database:
        try:
            run_sql(database.admin_uri, dump)
        except ConnectionFailed:
            raise
        except Exception as error:
            raise TreeError(f"reference {path} does not load: {one_line(error)}") from error
        connection = connect(database.admin_uri)
        try:
            return take_snapshot(connection, exclude_tables=[version_table])
        finally:
            connection.close()
