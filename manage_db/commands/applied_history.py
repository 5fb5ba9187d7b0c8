"""wazo-manage-db log / repair: the applied history of each component."""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, json_option, single_component


@click.command("log")
@component_option
@json_option
@click.option("-n", "--limit", type=click.IntRange(min=1), help="Only the newest N rows.")
@click.pass_obj
def log(app, components, as_json, limit):
    """What was applied, reverted, stamped, adopted or repaired, newest first."""
    from manage_db.history_notifier import render_log
    from manage_db.services.history import read_log

    selected = app.components(components)
    app.become_unprivileged()
    wait = app.settings.server_wait
    history = {c.name: read_log(c, app.owner_uri(c), wait, limit) for c in selected}
    click.echo(render_log(history, as_json))


@click.command("repair")
@click.argument("revisions", nargs=-1, required=True, metavar="REV...")
@component_option
@click.pass_obj
def repair(app, revisions, components):
    """Accept the current file of edited or interrupted applied revisions (a history row each)."""
    from manage_db.history_notifier import render_repaired
    from manage_db.services.history import repair as repair_revisions

    component = single_component(app, components, "repair")
    app.become_unprivileged()
    repaired = repair_revisions(
        component,
        app.owner_uri(component),
        revisions,
        server_wait=app.settings.server_wait,
    )
    click.echo(render_repaired(component.name, repaired))
