"""After an upgrade run: the bus event of each component whose upgrade applied revisions."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from manage_db.models import RunResult

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

    databases = {c.name: c.database for c in app.all_components()}
    events = [
        UpgradeEvent(
            r.component,
            databases.get(r.component, ""),
            r.before,
            r.after,
            tuple(r.applied),
            durations.get(r.component, 0.0),
        )
        for r in results
        if r.result == "ok" and r.applied
    ]
    if not events:
        return
    warning = publish(bus, events, _origin_uuid(app))
    if warning:
        logger.warning("wazo-manage-db: warning: %s", warning)
    else:
        logger.info("published %d database_upgraded event(s) on the bus", len(events))


def _origin_uuid(app: App) -> str | None:
    """The platform's uuid, from the platform database's ``infos`` table."""
    from manage_db.dao.platform_info import platform_uuid
    from manage_db.errors import ManageDbError

    try:
        return platform_uuid(app.settings["db_uri"])
    except ManageDbError as error:
        logger.info("no platform uuid for the bus event: %s", error)
        return None
