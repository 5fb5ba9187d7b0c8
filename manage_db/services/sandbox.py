"""Sandbox: run init, upgrade and status of the components against a throwaway server.

The newcomer's first command, and a dry run of a package upgrade: nothing touches the configured
servers, every component (config or plugin) is pointed at one fresh cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from manage_db.app import App
from manage_db.dao.cluster import ThrowawayCluster
from manage_db.models import Component, RunResult, StatusRow


@dataclass
class SandboxRun:
    """What a sandbox run did, and where its server lives on if it was kept."""

    results: list[RunResult] = field(default_factory=list)
    rows: list[StatusRow] = field(default_factory=list)
    # Set only when the cluster was kept running.
    server_uri: str | None = None
    stop_command: str | None = None


def sandbox_app(app: App, cluster: ThrowawayCluster) -> App:
    """An App like ``app`` whose every connection leads to ``cluster``."""
    settings = dict(app.settings)
    settings["db_uri"] = cluster.redirect(app.settings["db_uri"])
    settings["admin_uri"] = cluster.admin_uri()
    return App.from_settings(settings)


def sandbox_component(app: App, component: Component, cluster: ThrowawayCluster) -> Component:
    """``component`` living on ``cluster``: its own server and passwords are not needed there."""
    return dataclasses.replace(
        component,
        uri=cluster.redirect(app.owner_uri(component)) if component.uri else None,
        admin_uri=None,
        # The throwaway cluster trusts local connections; a password file may not be readable.
        password=None,
        password_file=None,
    )


def run_sandbox(app: App, names: Sequence[str] = (), *, keep: bool = False) -> SandboxRun:
    """Start a throwaway cluster, init and upgrade the components on it, report their status.

    The cluster is removed afterwards, unless ``keep`` and the run got to the status; then the
    returned run tells how to reach and stop it. Raises what the runner raises (the cluster is
    removed first).
    """
    from manage_db.services.runner import init_components, status_components, upgrade_components

    components = app.components(names)
    cluster = ThrowawayCluster(run_as=app.settings.get("user"))
    cluster.start()
    try:
        target = sandbox_app(app, cluster)
        moved = [sandbox_component(app, component, cluster) for component in components]
        run = SandboxRun()
        # The runner's own exit codes are not needed: a failure shows in the status.
        run.results.extend(init_components(target, moved)[0])
        run.results.extend(upgrade_components(target, moved)[0])
        run.rows.extend(status_components(target, moved))
        if keep:
            run.server_uri = cluster.admin_uri()
            run.stop_command = cluster.stop_command()
            cluster.detach()
        return run
    finally:
        cluster.stop()
