"""Reference schemas built in throwaway databases: a tree's history up to given revisions
(through the normal runtime, as ``upgrade`` runs it) or a models' ``create_all()``, each read
into a catalog snapshot.

The databases belong to the component's owner role when it exists on the server (else to a
throwaway role), so owners and privileges compare as they are; the component's schema and
extensions are made first, as ``init`` makes them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from manage_db.dao.connection import connect
from manage_db.dao.history import table_name as history_table
from manage_db.dao.snapshot import Snapshot, SnapshotReader
from manage_db.dao.throwaway import ThrowawayDatabase, ThrowawayServer
from manage_db.errors import ManageDbError, TreeError, one_line
from manage_db.models import Component
from manage_db.services.schema_diff import Difference


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


@contextmanager
def throwaway_server(
    admin_uri: str, component: Component, owner_password: str | None, place: Place
) -> Iterator[ThrowawayServer]:
    """Throwaway databases for ``place``, owned by the component's owner when it exists (an
    empty owner: a throwaway role, as for a bare tree); dropped after, the server left to
    finish the drops on its own when they belong to the owner (``ThrowawayServer.close``)."""
    server = ThrowawayServer(
        admin_uri,
        owner=component.owner or None,
        owner_password=owner_password,
        schema=place.schema,
        extensions=place.extensions,
    )
    try:
        yield server
    finally:
        server.close(wait=False)


@contextmanager
def collections_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one comparison: importing alembic, SQLAlchemy and
    the models allocates much and frees little, and each collection would scan it all again
    (about 0.05 s of CPU in a check-models run); the work in between is bounded."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the block allocated goes to the oldest generation unscanned (frozen, then
        # unfrozen): else the first collection after it scans it all (0.04-0.06 s of CPU).
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def import_runtime() -> None:
    """Import alembic and SQLAlchemy now (the runtime that builds a history), e.g. while the
    server makes the throwaway databases: the build need not wait for them later."""
    import manage_db.runtime.adapter  # noqa: F401


def build_history(
    database: ThrowawayDatabase, component: Component, revisions: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Upgrade ``database`` to each of ``revisions`` (None: the tree's heads) with the
    component's tree, its env.py run as ``upgrade`` runs it; the revisions built."""
    # Here, not at the top: check-models makes its databases while alembic imports.
    # (import_runtime)
    from manage_db.runtime.adapter import MigrationTree, is_usage_error

    if revisions is not None and not revisions:
        return ()
    tree = MigrationTree.load(component, database.owner_uri)
    if revisions is None:
        revisions = tuple(sorted(tree.script.get_heads()))
    for revision in revisions:
        try:
            tree.upgrade(revision)
        except ManageDbError:
            raise
        except Exception as error:
            if is_usage_error(error):
                raise TreeError(f"{component.name}: {one_line(error)}") from error
            where = tree.failed_step[0] if tree.failed_step else revision
            raise TreeError(
                f"{component.name}: building the history failed at {where}: {one_line(error)}"
            ) from error
    return tuple(revisions)


def snapshot_of(database: ThrowawayDatabase, place: Place) -> Snapshot:
    """The catalog snapshot of a throwaway database, the place's bookkeeping tables left out."""
    connection = connect(database.admin_uri)
    try:
        reader = SnapshotReader(
            connection,
            schemas=[place.schema] if place.schema else None,
            exclude_schemas=place.exclude_schemas,
            exclude_tables=place.bookkeeping,
        )
        return without_bookkeeping(reader.take(), place)
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


def fold_constraint_indexes(differences: Sequence[Difference]) -> tuple[Difference, ...]:
    """The differences without those of an index that backs a constraint also reported (a
    unique constraint or primary key named otherwise shows once, as the constraint)."""
    constraints = {
        (d.name.rpartition(".")[0], d.path[1])
        for d in differences
        if len(d.path) >= 2 and d.path[0] == "constraints"
    }
    return tuple(
        d
        for d in differences
        if not (d.kind == "index" and tuple(d.name.rsplit(".", 1)) in constraints)
    )


def _owning_table(owned_by: str | None) -> str | None:
    """``public.t_history.id`` -> ``t_history`` (names here are unquoted identifiers)."""
    if not owned_by:
        return None
    parts = owned_by.rsplit(".", 2)
    return parts[-2] if len(parts) >= 2 else None
