"""wazo-manage-db revision"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, single_component


@click.command("revision")
@click.option("-m", "--message", required=True, help="What the revision does.")
@component_option
@click.option("--rev-id", help="Use this revision id instead of a generated one.")
@click.option(
    "--wazo-version",
    metavar="VERSION",
    help="Write the release's version bump (updates infos.wazo_version).",
)
@click.option(
    "--from-version",
    metavar="VERSION",
    help="With --wazo-version: the version the downgrade restores.",
)
@click.pass_obj
def revision(app, message, components, rev_id, wazo_version, from_version):
    """Create a new revision file from the tree's template (no database needed)."""
    from manage_db.services.revision import create_revision

    names = components or (("asterisk",) if len(app.components()) > 1 else ())
    component = single_component(app, names, "revision")
    app.become_unprivileged()
    path = create_revision(
        component, message, rev_id=rev_id, wazo_version=wazo_version, previous_version=from_version
    )
    click.echo(str(path))
    raise SystemExit(0)
