"""Running one operation over several components in dependency order.

A component whose dependency failed or was skipped is skipped; the others still run. Each
outcome is a RunResult for the summary table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from manage_db.errors import ManageDbError
from manage_db.models import Component, RunResult, StatusRow

if TYPE_CHECKING:
    from manage_db.app import App

logger = logging.getLogger(__name__)


def run_in_order(
    components: Sequence[Component], operation: Callable[[Component], RunResult]
) -> tuple[list[RunResult], int]:
    """Run ``operation`` on each component; return the results and the exit code of the run."""
    results: list[RunResult] = []
    broken: set[str] = set()
    exit_code = 0
    for component in components:
        blocked = [d for d in component.depends_on if d in broken]
        if blocked:
            broken.add(component.name)
            results.append(
                RunResult(
                    component.name,
                    result="skipped",
                    message=f"dependency {', '.join(blocked)} did not complete",
                )
            )
            continue
        try:
            results.append(operation(component))
        except ManageDbError as error:
            # The summary tells the console; the log file keeps the error too.
            logger.error("%s", error, extra={"console": False})
            broken.add(component.name)
            exit_code = exit_code or error.exit_code
            failed = getattr(error, "result", None) or RunResult(component.name)
            failed.result, failed.message = "failed", str(error)
            results.append(failed)
    return results, exit_code


def init_components(app: App, components: Sequence[Component]) -> tuple[list[RunResult], int]:
    """Create missing roles, databases, schemas and extensions."""
    from manage_db.services.provisioning import provision_component

    def init(component: Component) -> RunResult:
        actions = provision_component(
            app.admin_uri(component=component),
            component,
            password=app.owner_password(component),
            server_wait=float(app.settings["server_wait"]),
        )
        return RunResult(component.name, message="; ".join(actions) or "nothing to create")

    return run_in_order(components, init)


def upgrade_components(
    app: App, components: Sequence[Component], target: str = "heads"
) -> tuple[list[RunResult], int]:
    """Bring each component to ``target`` (a specific revision only makes sense for one)."""
    from manage_db.services.migration import upgrade
    from manage_db.timeouts import timeouts_for

    def run(component: Component) -> RunResult:
        return upgrade(
            component,
            app.owner_uri(component),
            target,
            lock_wait=float(app.settings["lock_wait"]),
            server_wait=float(app.settings["server_wait"]),
            timeouts=timeouts_for(app.settings, component.name),
        )

    return run_in_order(components, run)


def status_components(app: App, components: Sequence[Component]) -> list[StatusRow]:
    """Where each component stands."""
    from manage_db.services.status import component_status

    return component_status(components, app.owner_uri, float(app.settings["server_wait"]))
