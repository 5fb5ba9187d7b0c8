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
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from manage_db.checksums import python_checksum, sql_text_checksum
from manage_db.dao.connection import connect, parse_uri
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.snapshot import Snapshot, take_snapshot
from manage_db.dao.throwaway import ThrowawayDatabase, ThrowawayServer
from manage_db.errors import TreeError
from manage_db.models import Component
from manage_db.services import migration
from manage_db.services.schema_diff import diff_snapshots
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


class _Builder:
    """Builds databases of a tree (the old one or its squashed copy) on the throwaway server."""

    def __init__(self, server: ThrowawayServer, component: Component) -> None:
        self.server = server
        self.component = component
        self.excluded = (component.version_table, f"{component.version_table}_history")
        schemas = [component.schema] if component.schema else None
        self.schemas = schemas

    def build(self, location: Path, target: str) -> ThrowawayDatabase:
        database = self.server.new_database()
        self.upgrade(database, location, target)
        return database

    def upgrade(self, database: ThrowawayDatabase, location: Path, target: str) -> None:
        component = dataclasses.replace(
            self.component, script_location=location, database=database.name, uri=None
        )
        migration.upgrade(component, database.owner_uri, target)

    def read(self, database: ThrowawayDatabase) -> tuple[Snapshot, BuiltState]:
        connection = connect(database.admin_uri)
        try:
            snapshot = take_snapshot(connection, schemas=self.schemas, exclude_tables=self.excluded)
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


def _squash_in(
    builder: _Builder, graph: RevisionGraph, report: SquashReport, scratch: Path, manifest: str
) -> tree_files.TreeChange | None:
    """Build, dump, write the copy and prove it; the change to apply, or None (report says)."""
    location = Path(graph.script_location)
    revision = report.revision
    first = builder.build(location, revision)
    second = builder.build(location, revision)
    first_snapshot, first_state = builder.read(first)
    second_snapshot, second_state = builder.read(second)
    builder.server.drop_database(second)
    discovery = Discovery()
    discovery.compare(first_state, second_state)
    report.differences.extend(
        f"the history does not build the same schema twice: {d}"
        for d in diff_snapshots(first_snapshot, second_snapshot)
    )
    report.differences.extend(discovery.problems)
    report.per_install = list(discovery.values)
    if report.differences:
        return None
    report.extensions = builder.extensions(first)
    template = _templated(first_state, discovery)
    change = _tree_change(builder, first, first_state, graph, report, template, manifest)
    copy = tree_files.copy_tree(location, scratch)
    change.apply(copy)
    _prove(
        builder, location, copy, report, (first, first_snapshot, first_state), discovery, template
    )
    return change


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
    location: Path,
    copy: Path,
    report: SquashReport,
    old: tuple[ThrowawayDatabase, Snapshot, BuiltState],
    discovery: Discovery,
    template: dict[str, TableRows],
) -> None:
    """The copy against the old history, at REV then at the heads; differences into report."""
    old_database, old_snapshot, old_state = old
    kinds = {v.placeholder: v.kind for v in discovery.values}
    old_map = discovery.canonical_first()
    new = builder.server.new_database()
    try:
        builder.upgrade(new, copy, report.revision)
    except Exception as error:
        report.differences.append(f"at {report.revision}: the baseline does not run: {error}")
        return
    new_snapshot, new_state = builder.read(new)
    new_map, problems = learn_from_template(template, new_state, kinds)
    report.differences.extend(f"at {report.revision}: {p}" for p in problems)
    _compare(
        report,
        report.revision,
        (old_snapshot, old_state, old_map),
        (new_snapshot, new_state, new_map),
    )
    if report.differences:
        return
    builder.upgrade(old_database, location, "heads")
    builder.upgrade(new, copy, "heads")
    old_snapshot, old_state = builder.read(old_database)
    new_snapshot, new_state = builder.read(new)
    _compare(
        report, "the heads", (old_snapshot, old_state, old_map), (new_snapshot, new_state, new_map)
    )


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
    first: ThrowawayDatabase,
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
    excluded = builder.dump_excluded(first)
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
        dao.dump_statements(dao.pg_dump_schema(first.admin_uri, "pre-data", excluded)),
        template,
        state.sequences,
        dao.dump_statements(dao.pg_dump_schema(first.admin_uri, "post-data", excluded)),
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
