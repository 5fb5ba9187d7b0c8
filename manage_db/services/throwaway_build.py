"""A component's history built in a throwaway database and read back, shared by squash and by
check-models and drift.

The history runs through the normal runtime (one loaded ``MigrationTree``, the tree's env.py
run as ``upgrade`` runs it: as the database's owner role, commits asynchronous, the log file
buffered), and the database is read into a catalog snapshot without the bookkeeping tables
(version tables, history tables) and the sequences they own. A revision that fails is turned
into the caller's own error (``Failure``): squash and check-models word it each their way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manage_db import log
from manage_db.dao.connection import connect
from manage_db.dao.snapshot import Snapshot, SnapshotReader
from manage_db.dao.throwaway import ThrowawayDatabase
from manage_db.dao.version_table import history_table
from manage_db.errors import ManageDbError
from manage_db.models import Component

if TYPE_CHECKING:
    from manage_db.runtime.adapter import MigrationTree


@dataclass(frozen=True)
class Place:
    """Where components live: the snapshot's scope and the tables it leaves out."""

    schema: str | None
    extensions: tuple[str, ...]
    bookkeeping: tuple[str, ...]  # version tables and their history tables
    # Without a schema: the schemas of the database's other, schema-confined components.
    exclude_schemas: tuple[str, ...] = ()


def place_of(components: Sequence[Component], exclude_schemas: Sequence[str] = ()) -> Place:
    """The scope shared by ``components`` (one database, one schema or none)."""
    extensions: list[str] = []
    bookkeeping: list[str] = []
    for component in components:
        extensions += [e for e in component.extensions if e not in extensions]
        bookkeeping += [component.version_table, history_table(component.version_table)]
    schema = components[0].schema
    return Place(
        schema, tuple(extensions), tuple(bookkeeping), () if schema else tuple(exclude_schemas)
    )


@dataclass(frozen=True)
class BuildFailure:
    """What stopped a build: the tree (its ``component.script_location`` the tree built), the
    target asked for, the revision that failed (None: before any, e.g. in env.py), the error,
    and whether it is alembic refusing the command itself (an unknown target, several heads)."""

    tree: MigrationTree
    target: str
    step: str | None
    error: Exception
    usage: bool


# The caller's error for a failed build (raised from the original error).
Failure = Callable[[BuildFailure], ManageDbError]


def import_runtime() -> None:
    """Import alembic and SQLAlchemy now (the runtime that builds a history), e.g. while the
    server makes the throwaway databases: the build need not wait for them later."""
    import manage_db.runtime.adapter  # noqa: F401


class HistoryBuilder:
    """Builds ``component``'s history in throwaway databases; ``failure`` words a failed build."""

    def __init__(self, component: Component, failure: Failure) -> None:
        self.component = component
        self.failure = failure

    def tree(self, database: ThrowawayDatabase, location: Path | None = None) -> MigrationTree:
        """The tree at ``location`` (None: the component's own), loaded once to run in
        ``database`` as its owner role."""
        # Here, not at the top: check-models makes its databases while alembic imports
        # (import_runtime).
        from manage_db.runtime.adapter import MigrationTree
        from manage_db.runtime.session import migration_uri

        component = self.component
        if location is not None:
            component = replace(component, script_location=location)
        component = replace(component, database=database.name, uri=None)
        return MigrationTree.load(component, migration_uri(database.owner_uri))

    def upgrade(self, tree: MigrationTree, target: str) -> None:
        """Upgrade to ``target``; the caller's error when it fails."""
        from manage_db.runtime.adapter import is_usage_error

        try:
            with log.buffered():
                tree.upgrade(target)
        except ManageDbError:
            raise
        except Exception as error:
            step = tree.failed_step[0] if tree.failed_step else None
            failed = BuildFailure(tree, target, step, error, is_usage_error(error))
            raise self.failure(failed) from error

    def build(
        self, database: ThrowawayDatabase, revisions: Sequence[str] | None = None
    ) -> tuple[str, ...]:
        """Upgrade ``database`` to each of ``revisions`` in turn (None: the tree's heads); the
        revisions built."""
        if revisions is not None and not revisions:
            return ()
        tree = self.tree(database)
        if revisions is None:
            revisions = tuple(sorted(tree.script.get_heads()))
        for revision in revisions:
            self.upgrade(tree, revision)
        return tuple(revisions)


def read_snapshot(connection: Any, place: Place) -> Snapshot:
    """The catalog snapshot behind ``connection``, the place's bookkeeping tables left out."""
    reader = SnapshotReader(
        connection,
        schemas=[place.schema] if place.schema else None,
        exclude_schemas=place.exclude_schemas,
        exclude_tables=place.bookkeeping,
    )
    return without_bookkeeping(reader.take(), place)


def snapshot_of(database: ThrowawayDatabase, place: Place) -> Snapshot:
    """The catalog snapshot of a throwaway database, the place's bookkeeping tables left out."""
    connection = connect(database.admin_uri)
    try:
        return read_snapshot(connection, place)
    finally:
        connection.close()


def without_bookkeeping(snapshot: Snapshot, place: Place) -> Snapshot:
    """``snapshot`` without the sequences of the bookkeeping tables (the history table's ids):
    the snapshot leaves those tables out, not what they own."""
    tables = set(place.bookkeeping)
    dropped = {
        key
        for key in snapshot.digests
        if key[0] == "sequence"
        and _owning_table(snapshot.properties[key].get("owned_by")) in tables
    }
    if not dropped:
        return snapshot
    digests = {key: digest for key, digest in snapshot.digests.items() if key not in dropped}
    properties = {key: snapshot.properties[key] for key in digests}
    return Snapshot(digests=digests, properties=properties)


def _owning_table(owned_by: str | None) -> str | None:
    """``public.t_history.id`` -> ``t_history`` (names here are unquoted identifiers)."""
    if not owned_by:
        return None
    parts = owned_by.rsplit(".", 2)
    return parts[-2] if len(parts) >= 2 else None
