"""wazo-manage-db status (alias check) / current / heads / history"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, json_option, single_component
from manage_db.commands.plain import show_status, status_rows


@click.command("status")
@component_option
@json_option
@click.pass_obj
def status(app, components, as_json):
    """Is every component at head? Exit 0 yes, 3 behind, another code on error."""
    raise SystemExit(show_status(app, components, as_json))


check = click.Command(
    "check", callback=status.callback, params=status.params, help="Alias of status."
)


@click.command("current")
@component_option
@click.pass_obj
def current(app, components):
    """The revisions each component's database is at."""
    from manage_db.notifier import current_exit_code, render_current

    rows = status_rows(app, components)
    click.echo(render_current(rows))
    raise SystemExit(current_exit_code(rows))


@click.command("heads")
@component_option
@click.pass_obj
def heads(app, components):
    """The head revisions of each component's tree (no database needed)."""
    from manage_db.notifier import render_heads
    from manage_db.services.tree import tree_heads

    selected = app.components(components)
    app.become_unprivileged()
    output = render_heads([head for component in selected for head in tree_heads(component)])
    if output:
        click.echo(output)
    raise SystemExit(0)


@click.command("history")
@component_option
@click.pass_obj
def history(app, components):
    """The revisions of one component's tree, newest first (no database needed)."""
    from manage_db.notifier import render_history
    from manage_db.services.tree import tree_history

    component = single_component(app, components, "history")
    app.become_unprivileged()
    output = render_history(tree_history(component))
    if output:
        click.echo(output)
    raise SystemExit(0)
