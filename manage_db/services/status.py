"""Status: where each component stands against its tree's heads.

Fast on purpose: the graph comes from the revision files as text (no alembic import), and each
database is asked one question for all the components that live in it as the same role
(``dao.component_state``), over one connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from manage_db.dao.component_state import StateReadError, read_states
from manage_db.dao.connection import connect
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.errors import EXIT_DRIFT, ManageDbError, TreeError
from manage_db.history_model import Drift, LastRecord
from manage_db.models import Component, StatusRow
from manage_db.services.history import drift_message, find_drift, tree_facts


def component_status(
    components: Sequence[Component], owner_uri: Callable[[Component], str], server_wait: float = 0.0
) -> list[StatusRow]:
    """One row per component; a component that cannot be read gets a row with its error."""
    rows: dict[str, StatusRow] = {}
    by_uri: dict[str, list[tuple[Component, RevisionGraph]]] = {}
    for component in components:
        try:
            graph = load_graph(component.script_location)
            uri = owner_uri(component)
        except ManageDbError as error:
            rows[component.name] = _error_row(component, str(error), error.exit_code)
            continue
        by_uri.setdefault(uri, []).append((component, graph))
    for uri, members in by_uri.items():
        try:
            conn = connect(uri, wait=server_wait)
        except ManageDbError as error:
            for component, _graph in members:
                rows[component.name] = _error_row(component, str(error), error.exit_code)
            continue
        try:
            tables = [(c.version_table, c.schema) for c, _graph in members]
            states = read_states(conn, tables)
        finally:
            conn.close()
        for (component, graph), state in zip(members, states, strict=True):
            if isinstance(state, ManageDbError):
                rows[component.name] = _state_error_row(component, state)
                continue
            rows[component.name] = _row(component, graph, state.current, state.last)
    return [rows[c.name] for c in components]


def _row(
    component: Component,
    graph: RevisionGraph,
    current: tuple[str, ...],
    last: Mapping[str, LastRecord] | None,
) -> StatusRow:
    heads = graph.heads()
    try:
        # An applied revision gone from the tree is drift (exit 8), as upgrade says.
        drift = history_drift(graph, current, last)
        if not drift:
            check_tree_for_status(graph, component, current, heads)
    except ManageDbError as error:
        return _error_row(component, str(error), error.exit_code)
    if drift:
        message = drift_message(component, drift)
        return StatusRow(component.name, component.database, current, heads, message, EXIT_DRIFT)
    return StatusRow(component.name, component.database, current, heads)


def history_drift(
    graph: RevisionGraph, current: tuple[str, ...], last: Mapping[str, LastRecord] | None
) -> list[Drift]:
    """What the applied history says against the tree (edited, missing, interrupted)."""
    if not last and all(rev in graph.revisions for rev in current):
        return []
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
