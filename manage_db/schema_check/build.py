"""Reference schemas built in throwaway databases: a tree's history up to given revisions
(``services.throwaway_build``, the builder squash uses too, its failures worded here as
TreeError) or a models' ``create_all()``, each read into a catalog snapshot.

The databases belong to the component's owner role when it exists on the server (else to a
throwaway role), so owners and privileges compare as they are; the component's schema and
extensions are made first, as ``init`` makes them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from manage_db.dao.throwaway import ThrowawayDatabase, ThrowawayServer
from manage_db.errors import TreeError, one_line
from manage_db.models import Component
from manage_db.services.schema_diff import Difference
from manage_db.services.throwaway_build import BuildFailure, HistoryBuilder, Place


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


def build_history(
    database: ThrowawayDatabase, component: Component, revisions: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Upgrade ``database`` to each of ``revisions`` (None: the tree's heads) with the
    component's tree, its env.py run as ``upgrade`` runs it; the revisions built. A failure:
    TreeError."""
    return HistoryBuilder(component, _tree_error).build(database, revisions)


def _tree_error(failed: BuildFailure) -> TreeError:
    name = failed.tree.component.name
    if failed.usage:
        return TreeError(f"{name}: {one_line(failed.error)}")
    where = failed.step or failed.target
    return TreeError(f"{name}: building the history failed at {where}: {one_line(failed.error)}")


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
