"""After an upgrade run: the bus event of each component whose upgrade applied revisions."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from manage_db.models import Component, RunResult

if TYPE_CHECKING:
    from manage_db.app import App

logger = logging.getLogger(__name__)


def announce_upgrades(
    app: App, results: Sequence[RunResult], durations: Mapping[str, float]
) -> None:
    """Publish one event per upgraded component when the bus is enabled; warn once if it fails."""
    bus = app.settings.get("bus") or {}
    if not bus.get("enabled"):
        return
    from manage_db.bus_notifier import UpgradeEvent, publish

    components = {c.name: c for c in app.all_components()}
    events = [
        UpgradeEvent(
            r.component,
            components[r.component].database if r.component in components else "",
            r.before,
            r.after,
            _applied(r, components.get(r.component)),
            durations.get(r.component, 0.0),
        )
        for r in results
        if r.result == "ok" and set(r.before) != set(r.after)
    ]
    if not events:
        return
    warning = publish(bus, events, _origin_uuid(app))
    if warning:
        logger.warning("wazo-manage-db: warning: %s", warning)
    else:
        logger.info("published %d database_upgraded event(s) on the bus", len(events))


def _applied(result: RunResult, component: Component | None) -> tuple[str, ...]:
    """The revisions applied: as alembic reported them, else from the graph (stock env.py)."""
    if result.applied or component is None:
        return tuple(result.applied)
    from manage_db.dao.revision_files import load_graph

    return tuple(load_graph(component.script_location).pending(result.before, result.after))


def _origin_uuid(app: App) -> str | None:
    """The platform's uuid, from the platform database's ``infos`` table."""
    from manage_db.dao.platform_info import platform_uuid
    from manage_db.errors import ManageDbError

    try:
        return platform_uuid(app.settings["db_uri"])
    except ManageDbError as error:
        logger.info("no platform uuid for the bus event: %s", error)
        return None
