"""wazo-manage-db audit: objects owned by the wrong role and explicit privileges."""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, json_option


@click.command("audit")
@component_option
@json_option
@click.pass_obj
def audit(app, components, as_json):
    """Report objects not owned by each component's owner role, every explicit ACL entry, and
    what a schema-confined component's owner made outside its schema.

    Exit 0 when clean, 1 with findings.
    """
    from manage_db.errors import EXIT_FINDINGS
    from manage_db.notifier import render_findings
    from manage_db.services.audit import audit_components

    selected = app.components(components)
    app.become_unprivileged()
    findings = audit_components(selected, app.access.owner_uri)
    click.echo(render_findings([c.name for c in selected], findings, as_json))
    raise SystemExit(EXIT_FINDINGS if findings else 0)
