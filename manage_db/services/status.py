"""Status: where each component stands against its tree's heads.

Fast on purpose: the graph comes from the revision files as text (no alembic import), and each
database is asked one question for all the components that live in it as the same role
(``dao.component_state``), over one connection. A tree and a database state found clean before
(at the heads, every applied revision recorded and unedited) are answered from
``dao.head_verdicts`` without loading the graph or the checksums.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from manage_db import __version__
from manage_db.dao import head_verdicts
from manage_db.dao.component_state import ComponentState, StateReadError, read_states
from manage_db.dao.connection import connect
from manage_db.dao.tree_stamp import tree_stamp
from manage_db.errors import EXIT_DRIFT, ManageDbError, TreeError
from manage_db.models import Component, StatusRow
from manage_db.squash.floor import check_floor

if TYPE_CHECKING:  # the graph and the history are loaded only when no cached verdict answers
    from manage_db.history_model import Drift, LastRecord
    from manage_db.revision_graph import RevisionGraph


def component_status(
    components: Sequence[Component], owner_uri: Callable[[Component], str], server_wait: float
) -> list[StatusRow]:
    """One row per component; a component that cannot be read gets a row with its error."""
    rows: dict[str, StatusRow] = {}
    by_uri: dict[str, list[TreeView]] = {}
    for component in components:
        try:
            tree = TreeView(component)
            uri = owner_uri(component)
        except ManageDbError as error:
            rows[component.name] = _error_row(component, str(error), error.exit_code)
            continue
        by_uri.setdefault(uri, []).append(tree)
    for uri, members in by_uri.items():
        try:
            conn = connect(uri, wait=server_wait)
        except ManageDbError as error:
            for tree in members:
                rows[tree.component.name] = _error_row(tree.component, str(error), error.exit_code)
            continue
        try:
            tables = [(t.component.version_table, t.component.schema) for t in members]
            states = read_states(conn, tables)
            for tree, state in zip(members, states, strict=True):
                component = tree.component
                if isinstance(state, ManageDbError):
                    rows[component.name] = _state_error_row(component, state)
                    continue
                try:
                    rows[component.name] = _row(tree, state)
                except ManageDbError as error:
                    rows[component.name] = _state_error_row(component, error)
        finally:
            conn.close()
    return [rows[c.name] for c in components]


class TreeView:
    """A component's tree as status and the no-op upgrade look at it: its heads and graph,
    loaded only when no cached verdict (``dao.head_verdicts``) already answers.

    Built before any connection: a tree that never loaded cleanly is loaded (and its errors
    raised) at once, as it always was; one that did is only loaded when needed.
    """

    def __init__(self, component: Component) -> None:
        self.component = component
        stamp = tree_stamp(component.script_location)
        self.key = (
            None
            if stamp is None
            else json.dumps(
                [
                    __version__,
                    str(component.script_location),
                    component.version_table,
                    component.schema,
                    stamp,
                ]
            )
        )
        known = head_verdicts.known_heads(self.key) if self.key else None
        self._graph: RevisionGraph | None = None
        self.heads = known if known is not None else self.graph.heads()

    @property
    def graph(self) -> RevisionGraph:
        if self._graph is None:
            from manage_db.dao.revision_files import load_graph

            self._graph = load_graph(self.component.script_location)
        return self._graph

    def known_clean(self, state: ComponentState) -> bool:
        """Whether this very state was found at the heads, recorded and unedited, before."""
        if self.key is None or state.digest is None:
            return False
        return head_verdicts.is_clean(self.key, state.digest)

    def clean(self, state: ComponentState) -> bool:
        """Whether the state is at the heads, every applied revision recorded and unedited
        (remembered when so). HistoryDrift-free only: drift is for the caller to tell."""
        if self.known_clean(state):
            return True
        current, last = state.current, state.last
        if set(current) != set(self.heads) or last is None:
            return False
        if not fully_recorded(self.graph, current, last) or history_drift(
            self.graph, current, last
        ):
            return False
        if self.key is not None and state.digest is not None:
            head_verdicts.remember_clean(self.key, self.heads, state.digest)
        return True


def _row(tree: TreeView, state: ComponentState) -> StatusRow:
    component, current = tree.component, state.current
    if tree.known_clean(state):
        return StatusRow(component.name, component.database, current, tree.heads)
    graph, heads = tree.graph, tree.heads
    # A revision squashed into a baseline: older than the tree's floor (exit 8), as upgrade says.
    check_floor(component.name, component.script_location, graph.revisions, current)
    # An applied revision gone from the tree is drift (exit 8), as upgrade says.
    drift = history_drift(graph, current, state.last)
    if drift:
        from manage_db.services.history import drift_message

        message = drift_message(component, drift)
        return StatusRow(component.name, component.database, current, heads, message, EXIT_DRIFT)
    check_tree_for_status(graph, component, current, heads)
    tree.clean(state)  # remembered for the next run when it is
    return StatusRow(component.name, component.database, current, heads)


def fully_recorded(
    graph: RevisionGraph, current: tuple[str, ...], last: Mapping[str, LastRecord]
) -> bool:
    """Whether the history records every applied revision as applied (nothing to adopt:
    ``history.unrecorded`` is empty)."""
    from manage_db.history_model import APPLYING

    applied: set[str] = set()
    for rev in current:
        applied |= graph.ancestors(rev)
    return all(rev in last and last[rev].direction in APPLYING for rev in applied)


def history_drift(
    graph: RevisionGraph, current: tuple[str, ...], last: Mapping[str, LastRecord] | None
) -> list[Drift]:
    """What the applied history says against the tree (edited, missing, interrupted)."""
    if not last and all(rev in graph.revisions for rev in current):
        return []
    from manage_db.services.history import find_drift, tree_facts

    return find_drift(graph, current, last, tree_facts(graph))


def _error_row(component: Component, message: str, exit_code: int) -> StatusRow:
    return StatusRow(component.name, component.database, (), (), message, exit_code)


def _state_error_row(component: Component, error: ManageDbError) -> StatusRow:
    if isinstance(error, StateReadError):  # the server's own line, named after the component
        return _error_row(component, f"{component.name}: {error}", error.exit_code)
    return _error_row(component, str(error), error.exit_code)


def check_tree_for_status(
    graph: RevisionGraph, component: Component, current: tuple[str, ...], heads: tuple[str, ...]
) -> None:
    """TreeError (exit 6, as upgrade says) for a database at a revision the tree does not know,
    or a pending revision file that would not load; at head nothing is read."""
    for rev in current:
        if rev not in graph.revisions:
            raise TreeError(
                f"{component.name}: the database is at revision '{rev}', which is not in "
                f"{component.script_location}"
            )
    if set(current) == set(heads):
        return
    for rev in graph.pending(current, heads):
        path = graph.revisions[rev].path
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as error:
            raise TreeError(
                f"{error.filename}:{error.lineno}: syntax error: {error.msg}"
            ) from error
