"""Status: where each component stands against its tree's heads.

Fast on purpose: the graph comes from the revision files as text (no alembic import), and each
database is asked one question per component over a connection shared by the components that
live in the same database as the same role.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg2

from manage_db.dao.connection import connect
from manage_db.dao.revision_files import RevisionGraph, load_graph
from manage_db.dao.version_table import read_current
from manage_db.errors import EXIT_DRIFT, EXIT_FINDINGS, ManageDbError, TreeError
from manage_db.models import Component, StatusRow
from manage_db.services.history import component_drift, drift_message


def component_status(
    components: Sequence[Component], owner_uri: Callable[[Component], str], server_wait: float = 0.0
) -> list[StatusRow]:
    """One row per component; a component that cannot be read gets a row with its error."""
    rows: list[StatusRow] = []
    connections: dict[str, object] = {}
    try:
        for component in components:
            try:
                graph = load_graph(component.script_location)
                heads = graph.heads()
                uri = owner_uri(component)
                if uri not in connections:
                    connections[uri] = connect(uri, wait=server_wait)
                current = read_current(connections[uri], component.version_table, component.schema)
                # An applied revision gone from the tree is drift (exit 8), as upgrade says.
                drift = component_drift(connections[uri], component, graph, current)
                if not drift:
                    check_tree_for_status(graph, component, current, heads)
            except ManageDbError as error:
                rows.append(
                    StatusRow(
                        component.name, component.database, (), (), str(error), error.exit_code
                    )
                )
                continue
            except psycopg2.Error as error:
                message = str(error).strip().splitlines()[0]
                rows.append(
                    StatusRow(
                        component.name,
                        component.database,
                        (),
                        (),
                        f"{component.name}: {message}",
                        EXIT_FINDINGS,
                    )
                )
                continue
            if drift:
                message = drift_message(component, drift)
                rows.append(
                    StatusRow(
                        component.name, component.database, current, heads, message, EXIT_DRIFT
                    )
                )
                continue
            rows.append(StatusRow(component.name, component.database, current, heads))
    finally:
        for conn in connections.values():
            conn.close()  # type: ignore[attr-defined]
    return rows


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
