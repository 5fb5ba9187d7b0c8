"""``wazo-manage-db sandbox``: try the migrations on a throwaway PostgreSQL server."""

from __future__ import annotations

import click

from manage_db.commands.options import component_option


@click.command("sandbox")
@click.option(
    "--keep",
    is_flag=True,
    help="Leave the throwaway server running and print its URI and the command that stops it.",
)
@click.argument("names", nargs=-1, metavar="[COMPONENT]...")
@component_option
@click.pass_obj
def sandbox(app, keep: bool, names: tuple[str, ...], components: tuple[str, ...]) -> None:
    """Run init, upgrade and status on a fresh throwaway PostgreSQL server.

    Nothing touches the configured servers: every component is pointed at a new cluster in a
    temp dir, removed at the end unless --keep. Exits like status: 0 when every component ends
    at its head.
    """
    from manage_db.notifier import render_sandbox, status_exit_code
    from manage_db.services.runner import RunOptions
    from manage_db.services.sandbox import run_sandbox

    selected = app.components(names + components)
    # The throwaway server needs no privilege: started as root, become the configured user
    # first (if it exists; otherwise the server alone is handed to an unprivileged user).
    app.become_unprivileged()
    run = run_sandbox(
        app.access,
        selected,
        RunOptions.from_settings(app.settings),
        run_as=app.settings.get("user"),
        keep=keep,
    )
    click.echo(render_sandbox(run))
    raise SystemExit(status_exit_code(run.rows))
