"""wazo-manage-db squash: a component's old history replaced by a baseline that proves itself."""

from __future__ import annotations

import click

from manage_db.commands.options import admin_uri_option, json_option


@click.command("squash")
@click.option(
    "--component", "component", metavar="NAME", help="The component (default: the only one)."
)
@click.option(
    "--to",
    "to",
    required=True,
    metavar="REV",
    help="The last revision squashed; the baseline keeps its id.",
)
@click.option(
    "--release",
    metavar="NAME",
    help="The release the baseline comes with (named in messages and file names).",
)
@admin_uri_option
@json_option
@click.pass_obj
def squash(app, component, to, release, admin_uri, as_json):
    """Replace the history up to REV by a baseline revision running a SQL dump.

    The history is built in throwaway databases, the baseline proved to give the same
    databases at REV and at the heads; only then are the files changed. Exit 0 when squashed,
    1 when the proof found differences (listed; nothing changed).
    """
    from manage_db.errors import EXIT_FINDINGS, ConfigError
    from manage_db.squash.notifier import render
    from manage_db.squash.service import DEFAULT_MANIFEST, squash_component

    app = app.with_admin_uri(admin_uri)
    selected = app.components([component] if component else [])
    if len(selected) != 1:
        raise ConfigError("squash: name one component with --component")
    target = selected[0]
    manifest = (app.settings.get("lint") or {}).get("manifest") or DEFAULT_MANIFEST
    owner_uri = app.owner_uri(target)
    server = app.admin_uri(None, target)
    app.become_unprivileged(peer_admin=getattr(app, "uses_peer_admin", False))
    report = squash_component(target, owner_uri, server, to, release, manifest)
    click.echo(render([report], as_json))
    raise SystemExit(0 if report.written else EXIT_FINDINGS)
