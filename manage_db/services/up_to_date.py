"""The upgrade with nothing to do, without the migration runtime (what every package install runs).

``upgrade`` first asks this module: under the component's migration lock it reads where the
database is, runs the history checks ``services.migration.upgrade`` runs (drift: exit 8), and
checks the revisions are in the tree (exit 6). At the heads it answers "already at target" and
alembic and SQLAlchemy are never imported; otherwise it answers None and the real upgrade runs
(and checks again, under its own hold of the lock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import psycopg2

from manage_db import cancellation
from manage_db.dao.connection import connect
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.version_table import read_current
from manage_db.errors import ManageDbError
from manage_db.models import Component, RunResult
from manage_db.services import history
from manage_db.services.migration_lock import migration_lock
from manage_db.services.status import check_tree_for_status
from manage_db.timeouts import SessionTimeouts

logger = logging.getLogger(__name__)


def already_at_heads(
    component: Component,
    owner_uri: str,
    target: str,
    *,
    lock_wait: float = 300.0,
    server_wait: float = 0.0,
    timeouts: SessionTimeouts | None = None,
) -> RunResult | None:
    """The result of upgrading a component already at its heads; None when there is work (or a
    target other than the heads: the full upgrade resolves those)."""
    if target not in ("head", "heads"):
        return None
    graph = load_graph(component.script_location)
    heads = graph.heads()
    if target == "head" and len(heads) > 1:
        return None  # the full upgrade says which heads
    timeouts = timeouts or SessionTimeouts()
    with cancellation.watching(owner_uri, timeouts.server_timeout):
        return _at_heads(component, owner_uri, graph, heads, lock_wait, server_wait)


def _at_heads(
    component: Component,
    owner_uri: str,
    graph: RevisionGraph,
    heads: tuple[str, ...],
    lock_wait: float,
    server_wait: float,
) -> RunResult | None:
    with migration_lock(component, owner_uri, lock_wait, server_wait) as conn:
        current = read_current(conn, component.version_table, component.schema)
        if set(current) != set(heads):
            return None
        history.prepare_run(conn, component, graph, current, refuse_drift=True)
        check_tree_for_status(graph, component, current, heads)
        return RunResult(component.name, current, current, message="already at target")


def all_at_heads(
    components: Sequence[Component], owner_uri: Callable[[Component], str], server_wait: float
) -> bool:
    """Whether every component's database is at its tree's heads (one read each, no lock, no
    check): a guess for deciding whether to load the migration runtime before forking workers."""
    connections: dict[str, Any] = {}
    try:
        for component in components:
            uri = owner_uri(component)
            if uri not in connections:
                connections[uri] = connect(uri, wait=server_wait)
            heads = load_graph(component.script_location).heads()
            current = read_current(connections[uri], component.version_table, component.schema)
            if set(current) != set(heads):
                return False
    except (ManageDbError, psycopg2.Error):
        return False  # the run itself says what is wrong
    finally:
        for conn in connections.values():
            conn.close()
    return True
