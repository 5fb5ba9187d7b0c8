"""Squash: the history up to a revision replaced by a baseline that proves itself.

``squash_component`` builds the old history up to REV twice in throwaway databases (as the
owner role, through the normal upgrade), compares the two builds to find the values generated
per install, dumps the first build, writes the baseline and its dump into a copy of the tree,
and proves the copy: a database built from it equals the old history's at REV and again at the
heads (catalog snapshot, column order, sequence values, rows; per-install values aside). Only
then is the tree itself changed. Any difference: the report lists it and nothing is written.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from manage_db.checksums import python_checksum, sql_text_checksum
from manage_db.dao.connection import connect, parse_uri
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.snapshot import Snapshot
from manage_db.dao.throwaway import ThrowawayDatabase, ThrowawayServer
from manage_db.errors import ManageDbError, MigrationFailed, TreeError, one_line
from manage_db.models import Component
from manage_db.services.schema_diff import diff_snapshots
from manage_db.services.throwaway_build import (
    BuildFailure,
    HistoryBuilder,
    import_runtime,
    place_of,
    read_snapshot,
)
from manage_db.squash import dao, dump, floor, tree_files
from manage_db.squash.baseline import baseline_text
from manage_db.squash.model import BuiltState, FloorEntry, SquashReport, TableRows
from manage_db.squash.rows import (
    Discovery,
    PerInstallMap,
    compare_rows,
    learn_from_template,
)

logger = logging.getLogger(__name__)

DEFAULT_MANIFEST = "released-revisions.txt"


def squashed_revisions(graph: RevisionGraph, revision: str) -> list[str]:
    """REV and every revision it builds on, base first; TreeError when a revision outside
    them builds on one of them other than REV (the squash would cut it off)."""
    squashed = graph.ancestors(revision)
    for rev in graph.revisions.values():
        if rev.revision in squashed:
            continue
        cut = [p for p in rev.down_revisions if p in squashed and p != revision]
        if cut:
            raise TreeError(
                f"{rev.path}: revision {rev.revision} builds on {cut[0]}, which a squash to "
                f"{revision} would remove: squash to a revision every later one descends from"
            )
    return graph.pending((), (revision,))


def squash_component(
    component: Component,
    owner_uri: str,
    admin_uri: str,
    to: str,
    release: str | None = None,
    manifest: str = DEFAULT_MANIFEST,
) -> SquashReport:
    """Squash ``component``'s history up to ``to`` into a baseline; the tree changes only when
    the proof holds (``report.written``)."""
    location = Path(component.script_location)
    graph = load_graph(location, use_cache=False)
    revision = graph.resolve(to)
    report = SquashReport(component.name, revision, release)
    report.squashed = squashed_revisions(graph, revision)
    server = ThrowawayServer(
        admin_uri,
        owner=component.owner,
        owner_password=parse_uri(owner_uri).get("password"),
        schema=component.schema,
        extensions=component.extensions,
    )
    with server, tempfile.TemporaryDirectory(prefix="manage-db-squash-") as scratch:
        builder = _Builder(server, component)
        change = _squash_in(builder, graph, report, Path(scratch), manifest)
        if change is not None and report.proved:
            change.apply(location)
            report.written = True
    return report


class _Builder(HistoryBuilder):
    """Builds databases of a tree (the old one or its squashed copy) on the throwaway server
    with the shared builder (``services.throwaway_build``), each through one loaded tree, so a
    build continued to the heads does not load the tree again; a failure: MigrationFailed."""

    def __init__(self, server: ThrowawayServer, component: Component) -> None:
        super().__init__(component, _migration_failed)
        self.server = server
        self.place = place_of([component])
        self.excluded = self.place.bookkeeping

    def read(self, database: ThrowawayDatabase) -> tuple[Snapshot, BuiltState]:
        connection = connect(database.admin_uri)
        try:
            snapshot = read_snapshot(connection, self.place)
            state = dao.read_state(connection, self.component.schema, self.excluded)
        finally:
            connection.close()
        return snapshot, state

    def extensions(self, database: ThrowawayDatabase) -> list[str]:
        connection = connect(database.admin_uri)
        try:
            return dao.extensions(connection)
        finally:
            connection.close()

    def dump_excluded(self, database: ThrowawayDatabase) -> list[str]:
        connection = connect(database.admin_uri)
        try:
            return dao.excluded_relations(connection, self.component.schema, self.excluded)
        finally:
            connection.close()


def _migration_failed(failed: BuildFailure) -> MigrationFailed:
    """A failed build as squash words it: the tree, the revision (env.py: before any)."""
    component = failed.tree.component
    return MigrationFailed(
        f"{component.name}: {component.script_location}: revision {failed.step or 'env.py'} "
        f"failed: {one_line(failed.error)}"
    )


Built = tuple[Snapshot, BuiltState]


def _squash_in(
    builder: _Builder, graph: RevisionGraph, report: SquashReport, scratch: Path, manifest: str
) -> tree_files.TreeChange | None:
    """Build, dump, write the copy and prove it; the change to apply, or None (report says).

    The second build of the history runs in a child process (the other core) and goes on to
    the heads: it is the old history the proof compares with there.
    """
    location = Path(graph.script_location)
    revision = report.revision
    started = time.monotonic()
    schema = builder.component.schema
    import_runtime()  # before the fork: the child and this process share the loaded runtime
    second = builder.server.new_database()
    child = _Child(builder, location, revision, second)
    dumps: list[dao.SchemaDump] = []
    try:
        first = builder.server.new_database()
        builder.upgrade(builder.tree(first, location), revision)
        excluded = builder.dump_excluded(first)
        dumps.extend(
            dao.SchemaDump(first.admin_uri, section, excluded, scratch / f"{section}.sql", schema)
            for section in ("pre-data", "post-data")
        )
        first_built = builder.read(first)
        second_built = child.result()
        logger.info("%s: history built and read twice in %.2f s", report.component, _since(started))
        discovery = _discover(report, first_built, second_built)
        if report.differences:
            return None
        report.extensions = builder.extensions(first)
        template = _templated(first_built[1], discovery)
        sections = (dumps[0].text(), dumps[1].text())
        change = _tree_change(builder, sections, first_built[1], graph, report, template, manifest)
        logger.info("%s: dump written at %.2f s", report.component, _since(started))
        copy = tree_files.copy_tree(location, scratch / "tree")
        change.apply(copy)
        _prove(builder, copy, report, (first_built, child), discovery, template)
        logger.info("%s: proof done at %.2f s", report.component, _since(started))
        return change
    finally:
        for dump in dumps:
            dump.stop()
        child.stop()


def _since(started: float) -> float:
    return time.monotonic() - started


def _discover(report: SquashReport, first: Built, second: Built) -> Discovery:
    """The per-install values; the differences the history makes between two builds."""
    discovery = Discovery()
    discovery.compare(first[1], second[1])
    report.differences.extend(
        f"the history does not build the same schema twice: {d}"
        for d in diff_snapshots(first[0], second[0])
    )
    report.differences.extend(discovery.problems)
    report.per_install = list(discovery.values)
    return discovery


class _Child:
    """A child process building the history in ``database``: up to ``revision``, then on to the
    heads once told to go on; it sends back what it read each time (pickled), or the exception
    that stopped it. It never touches the parent's connections and leaves with ``os._exit``."""

    def __init__(
        self, builder: _Builder, location: Path, revision: str, database: ThrowawayDatabase
    ) -> None:
        results, child_results = os.pipe()
        child_orders, orders = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(results)
            os.close(orders)
            try:
                self._serve(builder, location, revision, database, child_results, child_orders)
            finally:
                os._exit(0)
        os.close(child_results)
        os.close(child_orders)
        self._results = os.fdopen(results, "rb")
        self._orders: Any = os.fdopen(orders, "wb")

    @staticmethod
    def _serve(
        builder: _Builder,
        location: Path,
        revision: str,
        database: ThrowawayDatabase,
        results: int,
        orders: int,
    ) -> None:
        import pickle

        with os.fdopen(results, "wb") as out, os.fdopen(orders, "rb") as into:
            outcome: Any
            try:
                tree = builder.tree(database, location)
                for target in (revision, "heads"):
                    if target == "heads" and into.read(1) != b"g":
                        return  # not needed: the parent stopped before the proof
                    builder.upgrade(tree, target)
                    outcome = builder.read(database)
                    out.write(pickle.dumps(outcome))
                    out.flush()
            except BaseException as error:
                try:
                    out.write(pickle.dumps(error))
                except Exception:
                    out.write(pickle.dumps(RuntimeError(f"the second build: {error!r}")))

    def result(self) -> Built:
        """What the child read next; its exception raised here."""
        import pickle

        try:
            outcome = pickle.load(self._results)
        except EOFError:
            raise ManageDbError("the second build of the history ended without a result") from None
        if isinstance(outcome, BaseException):
            raise outcome
        snapshot, state = outcome
        return snapshot, state

    def go_on(self) -> None:
        """Tell the child to upgrade on to the heads."""
        self._orders.write(b"g")
        self._orders.flush()

    def stop(self) -> None:
        """Let the child end (it stops where it is) and wait for it."""
        for stream in (self._orders, self._results):
            try:
                stream.close()
            except OSError:
                pass
        os.waitpid(self.pid, 0)


def _templated(state: BuiltState, discovery: Discovery) -> dict[str, TableRows]:
    """The first build's rows with each per-install value written as its placeholder."""
    per_install = discovery.first
    return {
        name: dataclasses.replace(
            table, rows=tuple(tuple(per_install.canonical(v) for v in row) for row in table.rows)
        )
        for name, table in state.tables.items()
    }


def _prove(
    builder: _Builder,
    copy: Path,
    report: SquashReport,
    old: tuple[Built, _Child],
    discovery: Discovery,
    template: dict[str, TableRows],
) -> None:
    """The copy against the old history, at REV then at the heads; differences into report."""
    (old_snapshot, old_state), child = old
    kinds = {v.placeholder: v.kind for v in discovery.values}
    child.go_on()  # the old history on to the heads, meanwhile
    new = builder.server.new_database()
    tree = builder.tree(new, copy)
    try:
        builder.upgrade(tree, report.revision)
    except ManageDbError as error:
        report.differences.append(f"at {report.revision}: the baseline does not run: {error}")
        return
    new_snapshot, new_state = builder.read(new)
    new_map, problems = learn_from_template(template, new_state, kinds)
    report.differences.extend(f"at {report.revision}: {p}" for p in problems)
    old_at = (old_snapshot, old_state, discovery.canonical_first())
    _compare(report, report.revision, old_at, (new_snapshot, new_state, new_map))
    if report.differences:
        return
    builder.upgrade(tree, "heads")
    new_snapshot, new_state = builder.read(new)
    old_snapshot, old_state = child.result()
    old_heads = (old_snapshot, old_state, discovery.canonical_second())
    _compare(report, "the heads", old_heads, (new_snapshot, new_state, new_map))


def _compare(
    report: SquashReport,
    where: str,
    old: tuple[Snapshot, BuiltState, PerInstallMap],
    new: tuple[Snapshot, BuiltState, PerInstallMap],
) -> None:
    lines = [str(d) for d in diff_snapshots(old[0], new[0])]
    for table, columns in sorted(old[1].column_order.items()):
        other = new[1].column_order.get(table)
        if other is not None and other != columns and sorted(other) == sorted(columns):
            lines.append(
                f"table {table}: columns in order {', '.join(other)}, expected {', '.join(columns)}"
            )
    for sequence, value in sorted(old[1].sequences.items()):
        other_value = new[1].sequences.get(sequence)
        if other_value is not None and other_value != value:
            lines.append(f"sequence {sequence}: at {other_value}, expected {value}")
    lines.extend(compare_rows(old[1], old[2], new[1], new[2]))
    report.differences.extend(f"at {where}: {line}" for line in lines)


def _tree_change(
    builder: _Builder,
    sections: tuple[str, str],
    state: BuiltState,
    graph: RevisionGraph,
    report: SquashReport,
    template: dict[str, TableRows],
    manifest: str,
) -> tree_files.TreeChange:
    """The baseline, its dump, the removals, the floor and the manifest, as one change."""
    location = Path(graph.script_location)
    revision, label = report.revision, report.release or report.revision
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "baseline"
    dump_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{builder.component.name}_baseline_{label}")
    dump_relative = f"{tree_files.dump_folder(location)}/{dump_name}.sql"
    baseline_relative = f"versions/{revision}_squashed_baseline_{slug}.py"
    header = [
        f"Baseline of {builder.component.name} at revision {revision}"
        + (f" (release {report.release})" if report.release else "")
        + f": {len(report.squashed)} revisions squashed by wazo-manage-db squash.",
        "Run by the baseline revision as the owning role: no owner, no GRANT, no extension",
        f"(it needs: {', '.join(report.extensions) or 'none'}). @@per_install_N@@ placeholders",
        "are replaced with values generated anew by the baseline revision when it runs.",
    ]
    text = dump.assemble(
        header,
        dao.dump_statements(sections[0], builder.component.schema),
        template,
        state.sequences,
        dao.dump_statements(sections[1], builder.component.schema),
    )
    baseline = baseline_text(
        component=builder.component.name,
        revision=revision,
        release=report.release,
        squashed=len(report.squashed),
        dump_relative=dump_relative,
        extensions=report.extensions,
        per_install=report.per_install,
    )
    change = tree_files.TreeChange({baseline_relative: baseline, dump_relative: text})
    change.removes = _removed_files(graph, report.squashed)
    report.baseline_file = location / baseline_relative
    report.dump_file = location / dump_relative
    report.removed_files = [location / r for r in change.removes if r not in change.writes]
    _record_floor(change, location, report)
    _record_manifest(change, location, manifest, report, baseline_relative, dump_relative)
    return change


def _removed_files(graph: RevisionGraph, squashed: Sequence[str]) -> list[str]:
    """The squashed revisions' files, and the .sql files only they name."""
    location = Path(graph.script_location)
    gone = set(squashed)
    removes = [graph.revisions[r].path.relative_to(location).as_posix() for r in squashed]
    sources = {r: item.path.read_text(encoding="utf-8") for r, item in graph.revisions.items()}
    for relative in tree_files.sql_files(location):
        name = relative.rsplit("/", 1)[-1]
        users = {r for r, source in sources.items() if name in source}
        if users and users <= gone:
            removes.append(relative)
    return removes


def _record_floor(change: tree_files.TreeChange, location: Path, report: SquashReport) -> None:
    existing = tree_files.read_text(floor.floor_path(location))
    known = floor.read_floor(location)
    entries = [
        FloorEntry(rev, report.revision, report.release)
        for rev in report.squashed
        if rev != report.revision and rev not in known
    ]
    change.writes[floor.FLOOR_FILE] = floor.floor_text(existing, entries)


def _record_manifest(
    change: tree_files.TreeChange,
    location: Path,
    manifest: str,
    report: SquashReport,
    baseline_relative: str,
    dump_relative: str,
) -> None:
    """Lint's release manifest without the squashed files, with the baseline and its dump."""
    existing = tree_files.read_text(location / manifest)
    if existing is None:
        return  # nothing released yet: `wazo-manage-db release` records them later
    gone = set(report.squashed) | set(change.removes)
    kept = [
        line
        for line in existing.splitlines()
        if not (line.split("#", 1)[0].split() and line.split()[0] in gone)
    ]
    baseline = python_checksum(change.writes[baseline_relative])
    dump_sum = sql_text_checksum(change.writes[dump_relative])
    kept.append(f"{report.revision} {baseline} {baseline_relative}")
    kept.append(f"{dump_relative} {dump_sum} {dump_relative}")
    change.writes[manifest] = "\n".join(kept) + "\n"
