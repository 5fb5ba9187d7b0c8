"""wazo-manage-db status (alias check) / current / heads / history"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, json_option, single_component


@click.command("status")
@component_option
@json_option
@click.pass_obj
def status(app, components, as_json):
    """Is every component at head? Exit 0 yes, 3 behind, another code on error."""
    from manage_db.notifier import render_status, status_exit_code

    rows = _status_rows(app, components)
    click.echo(render_status(rows, as_json))
    for row in rows:
        if row.error:
            click.echo(f"wazo-manage-db: {row.error}", err=True)
    raise SystemExit(status_exit_code(rows))


def _status_rows(app, components):
    from manage_db.services.runner import status_components

    selected = app.components(components)
    app.become_unprivileged()
    return status_components(app, selected)


check = click.Command(
    "check", callback=status.callback, params=status.params, help="Alias of status."
)


@click.command("current")
@component_option
@click.pass_obj
def current(app, components):
    """The revisions each component's database is at."""
    from manage_db.notifier import render_current, status_exit_code

    rows = _status_rows(app, components)
    click.echo(render_current(rows))
    code = status_exit_code(rows)
    raise SystemExit(0 if code == 3 else code)


@click.command("heads")
@component_option
@click.pass_obj
def heads(app, components):
    """The head revisions of each component's tree (no database needed)."""
    from manage_db.dao.revision_files import load_graph

    selected = app.components(components)
    app.become_unprivileged()
    for component in selected:
        graph = load_graph(component.script_location)
        for rev in graph.heads():
            click.echo(f"{component.name}: {rev} {graph.revisions[rev].message}".rstrip())


@click.command("history")
@component_option
@click.pass_obj
def history(app, components):
    """The revisions of one component's tree, newest first (no database needed)."""
    from manage_db.dao.revision_files import load_graph

    component = single_component(app, components, "history")
    app.become_unprivileged()
    graph = load_graph(component.script_location)
    heads = set(graph.heads())
    for rev in reversed(graph.history()):
        down = ",".join(rev.down_revisions) or "<base>"
        mark = " (head)" if rev.revision in heads else ""
        click.echo(f"{down} -> {rev.revision}{mark}, {rev.message}")
