"""Sandbox: run init, upgrade and status of the components against a throwaway server.

The newcomer's first command, and a dry run of a package upgrade: nothing touches the configured
servers, every component (config or plugin) is pointed at one fresh cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from manage_db.access import Access
from manage_db.dao.cluster import ThrowawayCluster
from manage_db.models import Component, RunResult, StatusRow
from manage_db.services.runner import RunOptions


@dataclass
class SandboxRun:
    """What a sandbox run did, and where its server lives on if it was kept."""

    results: list[RunResult] = field(default_factory=list)
    rows: list[StatusRow] = field(default_factory=list)
    # Set only when the cluster was kept running.
    server_uri: str | None = None
    stop_command: str | None = None


def sandbox_access(access: Access, cluster: ThrowawayCluster) -> Access:
    """Connection details like ``access`` whose every connection leads to ``cluster``."""
    return Access(
        {
            "db_uri": cluster.redirect(access.db_uri),
            "admin_uri": cluster.admin_uri(),
            "socket_dir": access.socket_dir,
        }
    )


def sandbox_component(access: Access, component: Component, cluster: ThrowawayCluster) -> Component:
    """``component`` living on ``cluster``: its own server and passwords are not needed there."""
    return dataclasses.replace(
        component,
        uri=cluster.redirect(access.owner_uri(component)) if component.uri else None,
        admin_uri=None,
        # The throwaway cluster trusts local connections; a password file may not be readable.
        password=None,
        password_file=None,
    )


def run_sandbox(
    access: Access,
    components: Sequence[Component],
    options: RunOptions,
    *,
    run_as: str | None = None,
    keep: bool = False,
) -> SandboxRun:
    """Start a throwaway cluster, init and upgrade the components on it, report their status.

    ``run_as``: the OS user the server runs as when started as root. The cluster is removed
    afterwards, unless ``keep`` and the run got to the status; then the returned run tells how
    to reach and stop it. Raises what the runner raises (the cluster is removed first).
    """
    from manage_db.services.runner import init_components, status_components, upgrade_components

    cluster = ThrowawayCluster(run_as=run_as)
    cluster.start()
    try:
        target = sandbox_access(access, cluster)
        moved = [sandbox_component(access, component, cluster) for component in components]
        run = SandboxRun()
        # The runner's own exit codes are not needed: a failure shows in the status.
        run.results.extend(init_components(target, moved, options)[0])
        run.results.extend(upgrade_components(target, moved, options)[0])
        run.rows.extend(status_components(target, moved, options))
        if keep:
            run.server_uri = cluster.admin_uri()
            run.stop_command = cluster.stop_command()
            cluster.detach()
        return run
    finally:
        cluster.stop()
