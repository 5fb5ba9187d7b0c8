"""``wazo-manage-db sandbox``: try the migrations on a throwaway PostgreSQL server."""

from __future__ import annotations

import click

from manage_db.app import App
from manage_db.commands.options import component_option
from manage_db.services.sandbox import SandboxRun, run_sandbox


def render_kept(run: SandboxRun) -> str:
    """The lines telling where the kept server is and how to stop it."""
    return "\n".join(
        [
            f"Sandbox server kept running: {run.server_uri}",
            f"Stop it and remove its files: {run.stop_command}",
        ]
    )


@click.command("sandbox")
@click.option(
    "--keep",
    is_flag=True,
    help="Leave the throwaway server running and print its URI and the command that stops it.",
)
@click.argument("names", nargs=-1, metavar="[COMPONENT]...")
@component_option
@click.pass_obj
def sandbox(app: App, keep: bool, names: tuple[str, ...], components: tuple[str, ...]) -> None:
    """Run init, upgrade and status on a fresh throwaway PostgreSQL server.

    Nothing touches the configured servers: every component is pointed at a new cluster in a
    temp dir, removed at the end unless --keep. Exits like status: 0 when every component ends
    at its head.
    """
    from manage_db.notifier import render_status, render_summary, status_exit_code

    # The throwaway server needs no privilege: started as root, become the configured user
    # first (if it exists; otherwise the server alone is handed to an unprivileged user).
    app.become_unprivileged()
    run = run_sandbox(app, names + components, keep=keep)
    click.echo(render_summary(run.results))
    click.echo(render_status(run.rows))
    if run.server_uri:
        click.echo(render_kept(run))
    raise click.exceptions.Exit(status_exit_code(run.rows))
