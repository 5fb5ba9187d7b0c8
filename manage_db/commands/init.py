"""wazo-manage-db init"""

from __future__ import annotations

import click

from manage_db.commands.options import admin_uri_option, component_option, finish, json_option


@click.command("init")
@component_option
@admin_uri_option
@json_option
@click.pass_obj
def init(app, components, admin_uri, as_json):
    """Create missing owner roles, databases, schemas and extensions (idempotent)."""
    from manage_db.services.runner import RunOptions, init_components

    app = app.with_admin_uri(admin_uri)
    selected = app.components(components)
    app.become_unprivileged(peer_admin=app.access.peer_admin)
    results, code = init_components(app.access, selected, RunOptions.from_settings(app.settings))
    finish(results, code, as_json)
