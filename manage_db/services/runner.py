"""Running one operation over several components in dependency order.

A component whose dependency failed or was skipped is skipped; the others still run. Each
outcome is a RunResult for the summary table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from manage_db.errors import ManageDbError
from manage_db.models import Component, RunResult, StatusRow
from manage_db.timeouts import SessionTimeouts, timeouts_for

if TYPE_CHECKING:
    from manage_db.access import Access

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
            # The summary tells the console; the log file keeps the error too (--debug: its
            # traceback on the console as well).
            logger.error("%s", error, extra={"console": False})
            logger.debug("%s failed", component.name, exc_info=True)
            broken.add(component.name)
            exit_code = exit_code or error.exit_code
            failed = getattr(error, "result", None) or RunResult(component.name)
            failed.result, failed.message = "failed", str(error)
            results.append(failed)
    return results, exit_code


@dataclass(frozen=True)
class RunOptions:
    """How long a run waits, in seconds: for the server to start, for another run's lock; and
    the limits of each component's migration session (``timeouts``, by component name)."""

    server_wait: float = 0.0
    lock_wait: float = 300.0
    timeouts: Mapping[str, SessionTimeouts] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RunOptions:
        """The options the settings of a run give (already checked and typed by config)."""
        components = settings.get("components") or {}
        return cls(
            server_wait=settings["server_wait"],
            lock_wait=settings["lock_wait"],
            timeouts={name: timeouts_for(settings, name) for name in components},
        )

    def timeouts_of(self, component: str) -> SessionTimeouts:
        """The session limits of ``component`` (the defaults for one the settings do not name)."""
        return self.timeouts.get(component) or SessionTimeouts()


def init_components(
    access: Access, components: Sequence[Component], options: RunOptions
) -> tuple[list[RunResult], int]:
    """Create missing roles, databases, schemas and extensions."""
    from manage_db.services.provisioning import provision_component

    def init(component: Component) -> RunResult:
        actions = provision_component(
            access.admin_uri(component=component),
            component,
            password=access.owner_password(component),
            server_wait=options.server_wait,
        )
        return RunResult(component.name, message="; ".join(actions) or "nothing to create")

    return run_in_order(components, init)


def upgrade_components(
    access: Access, components: Sequence[Component], options: RunOptions, target: str = "heads"
) -> tuple[list[RunResult], int]:
    """Bring each component to ``target`` (a specific revision only makes sense for one)."""
    from manage_db.services.migration import upgrade

    def run(component: Component) -> RunResult:
        started = time.monotonic()
        result = upgrade(
            component,
            access.owner_uri(component),
            target,
            lock_wait=options.lock_wait,
            server_wait=options.server_wait,
            timeouts=options.timeouts_of(component.name),
        )
        result.duration = time.monotonic() - started
        return result

    return run_in_order(components, run)


def step_component(
    access: Access, component: Component, options: RunOptions, name: str, target: str
) -> tuple[list[RunResult], int]:
    """``downgrade`` or ``stamp`` one component to ``target``."""
    from manage_db.services import migration

    step = getattr(migration, name)
    return run_in_order(
        [component],
        lambda c: step(
            c,
            access.owner_uri(c),
            target,
            lock_wait=options.lock_wait,
            timeouts=options.timeouts_of(c.name),
        ),
    )


def status_components(
    access: Access, components: Sequence[Component], options: RunOptions
) -> list[StatusRow]:
    """Where each component stands."""
    from manage_db.services.status import component_status

    return component_status(components, access.owner_uri, options.server_wait)
