"""The upgrade with nothing to do, without the migration runtime (what every package install runs).

``upgrade`` first asks this module: under the component's migration lock it reads where the
database is, runs the history checks ``services.migration.upgrade`` runs (drift: exit 8), and
checks the revisions are in the tree (exit 6). At the heads it answers "already at target" and
alembic and SQLAlchemy are never imported; otherwise the real upgrade runs (and checks again)
on the connection that holds the lock, given by the caller as ``otherwise`` (without it: None,
and the real upgrade takes the lock itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from manage_db import cancellation
from manage_db.dao.component_state import StateReadError, read_states
from manage_db.dao.connection import connect
from manage_db.errors import ManageDbError
from manage_db.models import Component, RunResult
from manage_db.services.migration_lock import migration_lock
from manage_db.services.status import TreeView, check_tree_for_status

logger = logging.getLogger(__name__)


# The full upgrade, run on the connection holding the migration lock (see already_at_heads).
Otherwise = Callable[[Any], RunResult]


def already_at_heads(
    component: Component,
    owner_uri: str,
    target: str,
    *,
    server_wait: float,
    otherwise: Otherwise | None = None,
) -> RunResult | None:
    """The result of upgrading a component already at its heads; None when there is work (or a
    target other than the heads: the full upgrade resolves those).

    ``otherwise``: when there is work, called with the connection holding the migration lock
    (the full upgrade then takes it over instead of opening another), and its result returned.
    """
    if target not in ("head", "heads"):
        return None
    tree = TreeView(component)
    if target == "head" and len(tree.heads) > 1:
        return None  # the full upgrade says which heads
    timeouts = component.timeouts
    with cancellation.watching(owner_uri, timeouts.server_timeout):
        return _at_heads(tree, owner_uri, timeouts.lock_wait, server_wait, otherwise)


def _at_heads(
    tree: TreeView,
    owner_uri: str,
    lock_wait: float,
    server_wait: float,
    otherwise: Otherwise | None,
) -> RunResult | None:
    component = tree.component
    with migration_lock(component, owner_uri, lock_wait, server_wait) as conn:
        (state,) = read_states(conn, [(component.version_table, component.schema)])
        if isinstance(state, StateReadError):
            raise StateReadError(f"{component.name}: {state}")
        if isinstance(state, ManageDbError):
            raise state
        current = state.current
        if set(current) != set(tree.heads):
            return None if otherwise is None else otherwise(conn)
        try:
            clean = tree.clean(state)
        except StateReadError as error:  # reading the history rows failed
            raise StateReadError(f"{component.name}: {error}") from error
        if not clean:
            # No history table yet, applied revisions it lacks, or drift: the checks and the
            # adoption of services.migration.upgrade (drift refused, exit 8).
            from manage_db.services import history

            history.prepare_run(conn, component, tree.graph, current, refuse_drift=True)
            check_tree_for_status(tree.graph, component, current, tree.heads)
        return RunResult(component.name, current, current, message="already at target")


def all_at_heads(
    components: Sequence[Component], owner_uri: Callable[[Component], str], server_wait: float
) -> bool:
    """Whether every component's database is at its tree's heads (one read per database, no
    lock, no check): a guess for deciding whether to load the migration runtime before forking
    workers."""
    by_uri: dict[str, list[Component]] = {}
    try:
        for component in components:
            by_uri.setdefault(owner_uri(component), []).append(component)
        for uri, members in by_uri.items():
            conn = connect(uri, wait=server_wait)
            try:
                states = read_states(conn, [(c.version_table, c.schema) for c in members])
            finally:
                conn.close()
            for component, state in zip(members, states, strict=True):
                if isinstance(state, ManageDbError):
                    return False  # the run itself says what is wrong
                if set(state.current) != set(TreeView(component).heads):
                    return False
    except ManageDbError:
        return False
    return True
