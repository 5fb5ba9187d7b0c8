"""wazo-manage-db audit: objects owned by the wrong role and explicit privileges."""

from __future__ import annotations

import json
from typing import Any

import click

from manage_db.commands.options import component_option, json_option


@click.command("audit")
@component_option
@json_option
@click.pass_obj
def audit(app, components, as_json):
    """Report objects not owned by each component's owner role, and every explicit ACL entry.

    Exit 0 when clean, 1 with findings.
    """
    from manage_db.dao.connection import connect
    from manage_db.errors import EXIT_FINDINGS
    from manage_db.services.audit import audit_database

    selected = app.components(components)
    app.become_unprivileged()
    findings = []
    for component in selected:
        connection = connect(app.owner_uri(component))
        try:
            schemas = [component.schema] if component.schema else None
            findings.extend(audit_database(component.name, component.owner, connection, schemas))
        finally:
            connection.close()
    click.echo(render_findings([c.name for c in selected], findings, as_json))
    raise SystemExit(EXIT_FINDINGS if findings else 0)


def render_findings(components: list[str], findings: list[Any], as_json: bool) -> str:
    """Notifier: one line per finding (or a clean line per component), or JSON."""
    if as_json:
        return json.dumps(
            {"clean": not findings, "findings": [f.as_dict() for f in findings]}, indent=2
        )
    lines = [str(finding) for finding in findings]
    dirty = {finding.component for finding in findings}
    lines.extend(f"{name}: clean" for name in components if name not in dirty)
    return "\n".join(lines)
