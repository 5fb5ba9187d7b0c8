"""wazo-manage-db verify: round-trip every revision on a throwaway database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from manage_db.commands.options import admin_uri_option, component_option, json_option
from manage_db.verify_notifier import render_reports


@click.command("verify")
@component_option
@click.option(
    "--script-location",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Verify this alembic directory (env.py + versions/) instead of configured components.",
)
@click.option(
    "--version-table",
    default="alembic_version",
    show_default=True,
    help="Version table of --script-location.",
)
@click.option(
    "--extension",
    "extensions",
    multiple=True,
    metavar="NAME",
    help="Extension to create first, with --script-location (repeatable).",
)
@click.option(
    "--reference",
    metavar="FILE|URI",
    help="The head schema must match this `pg_dump -s -O -x` file or database.",
)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    metavar="REVISION:FILE",
    help="Run this SQL file just before REVISION's upgrade (repeatable); checks rows.",
)
@click.option(
    "--check-rows", is_flag=True, help="Also compare every table's rows across each round trip."
)
@click.option(
    "--full-snapshots",
    is_flag=True,
    help="Read the whole catalog after every step instead of what the step touched (slower).",
)
@admin_uri_option
@json_option
@click.pass_obj
def verify(
    app,
    components,
    script_location,
    version_table,
    extensions,
    reference,
    seeds,
    check_rows,
    full_snapshots,
    admin_uri,
    as_json,
):
    """Upgrade, downgrade and upgrade each revision; report every one that does not round-trip.

    When a step leaves the database where no upgrade leads, it is rebuilt at that revision
    and the walk goes on. Irreversible revisions are upgraded, not round-tripped. Exit 0 when
    clean, 1 when a revision has a defect.
    """
    import dataclasses

    from manage_db.errors import EXIT_FINDINGS
    from manage_db.services.verify import VerifyOptions, verify_tree

    app = app.with_admin_uri(admin_uri)
    configured = app.settings.get("verify") or {}
    reference = reference or configured.get("reference")
    if not seeds and configured.get("seed") and configured.get("seed_before"):
        seeds = (f"{configured['seed_before']}:{configured['seed']}",)
    options = VerifyOptions(
        reference=reference,
        seeds=tuple(_parse_seed(s) for s in seeds),
        check_rows=check_rows,
        incremental=not full_snapshots,
    )
    targets = _targets(app, components, script_location, version_table, extensions)
    app.become_unprivileged(peer_admin=getattr(app, "uses_peer_admin", False))
    # Each tree's migrations run with upgrade's session limits for its component.
    reports = [
        verify_tree(target, server, dataclasses.replace(options, timeouts=timeouts))
        for target, server, timeouts in targets
    ]
    click.echo(render_reports(reports, as_json))
    raise SystemExit(0 if all(r.clean for r in reports) else EXIT_FINDINGS)


def _parse_seed(value: str) -> tuple[str, Path]:
    revision, sep, path = value.partition(":")
    if not sep or not revision or not path:
        raise click.BadParameter(f"{value!r}: expected REVISION:FILE", param_hint="--seed")
    return revision, Path(path)


def _targets(app, components, script_location, version_table, extensions) -> list[tuple[Any, ...]]:
    """(VerifyTarget, superuser URI of its server, session limits) for each tree to verify."""
    from manage_db.config import component_values
    from manage_db.services.verify_targets import component_target, tree_target
    from manage_db.services.verify_walk import walk_policy
    from manage_db.timeouts import SessionTimeouts

    if script_location is not None:
        limits = SessionTimeouts.from_values(component_values(app.settings))  # the global ones
        walk = walk_policy(app.settings)
        target = tree_target(script_location, version_table, extensions, walk)
        return [(target, app.admin_uri(), limits)]
    return [
        (
            component_target(
                component, app.owner_uri(component), walk_policy(app.settings, component)
            ),
            app.admin_uri(None, component),
            component.timeouts,
        )
        for component in app.components(components)
    ]
