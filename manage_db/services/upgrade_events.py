"""After an upgrade run: the bus event of each component whose upgrade applied revisions."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.models import Component, RunResult

logger = logging.getLogger(__name__)


def announce_upgrades(
    bus: Mapping[str, Any] | None,
    db_uri: str,
    components: Sequence[Component],
    results: Sequence[RunResult],
) -> None:
    """Publish one event per upgraded component when the bus is enabled; warn once if it fails.

    ``db_uri``: the platform database, whose ``infos.uuid`` is the events' origin.
    """
    if not bus or not bus.get("enabled"):
        return
    from manage_db.bus_notifier import UpgradeEvent, publish

    by_name = {c.name: c for c in components}
    events = [
        UpgradeEvent(
            r.component,
            by_name[r.component].database if r.component in by_name else "",
            r.before or (),
            r.after or (),
            _applied(r, by_name.get(r.component)),
            r.duration or 0.0,
        )
        for r in results
        if r.result == "ok" and set(r.before or ()) != set(r.after or ())
    ]
    if not events:
        return
    warning = publish(bus, events, _origin_uuid(db_uri))
    if warning:
        logger.warning("%s", warning)
    else:
        logger.info("published %d database_upgraded event(s) on the bus", len(events))


def _applied(result: RunResult, component: Component | None) -> tuple[str, ...]:
    """The revisions applied: as the runtime reported them, else from the graph."""
    if result.applied or component is None:
        return tuple(result.applied)
    from manage_db.dao.revision_files import load_graph

    graph = load_graph(component.script_location)
    return tuple(graph.pending(result.before or (), result.after or ()))


def _origin_uuid(db_uri: str) -> str | None:
    """The platform's uuid, from the platform database's ``infos`` table."""
    from manage_db.dao.platform_info import platform_uuid
    from manage_db.errors import ManageDbError

    try:
        return platform_uuid(db_uri)
    except ManageDbError as error:
        logger.info("no platform uuid for the bus event: %s", error)
        return None
