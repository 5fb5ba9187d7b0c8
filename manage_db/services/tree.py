"""What a tree holds, read from its files (no database): its heads and its history."""

from __future__ import annotations

from manage_db.dao.revision_files import load_graph
from manage_db.models import Component, TreeRevision


def tree_history(component: Component) -> list[TreeRevision]:
    """The revisions of the component's tree, newest first."""
    graph = load_graph(component.script_location)
    heads = set(graph.heads())
    return [
        TreeRevision(
            component.name, rev.revision, rev.down_revisions, rev.message, rev.revision in heads
        )
        for rev in reversed(graph.history())
    ]


def tree_heads(component: Component) -> list[TreeRevision]:
    """The head revisions of the component's tree, sorted."""
    graph = load_graph(component.script_location)
    return [
        TreeRevision(
            component.name,
            rev,
            graph.revisions[rev].down_revisions,
            graph.revisions[rev].message,
            True,
        )
        for rev in graph.heads()
    ]
