"""wazo-manage-db check-models and drift: a component's schema against its own history."""

from __future__ import annotations

import click

from manage_db.commands.options import admin_uri_option, component_option, json_option


@click.command("check-models")
@component_option
@click.option(
    "--models",
    metavar="MODULE:ATTR",
    help="The SQLAlchemy MetaData or declarative base to compare (default: the component's "
    "`models` setting); needs a single component.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Compare with the component's live database (read-only; it must be at head) "
    "instead of building the migrations' head.",
)
@admin_uri_option
@json_option
@click.pass_obj
def check_models(app, components, models, live, admin_uri, as_json):
    """Compare what the models' create_all() makes with what the migrations build at head.

    Both are built in throwaway databases of the server (superuser `admin_uri`) and compared
    object by object; with --live, the models are compared with the live database, which must
    be at head (exit 3 otherwise). Exit 0 when they agree, 1 with one line per difference.
    """
    from manage_db.errors import EXIT_FINDINGS
    from manage_db.schema_check.models_service import models_targets
    from manage_db.schema_check.notifier import render_reports

    app = app.with_admin_uri(admin_uri)
    targets = models_targets(app.components(components), models, bool(components))
    runs = [_models_run(app, target, spec, live) for target, spec in targets]
    app.become_unprivileged(peer_admin=app.uses_peer_admin)
    reports = [run() for run in runs]
    click.echo(render_reports(reports, as_json))
    raise SystemExit(0 if all(r.clean for r in reports) else EXIT_FINDINGS)


def _models_run(app, target, spec, live):
    """The comparison of one component, its URIs and password resolved (before privileges drop)."""
    from functools import partial

    from manage_db.schema_check.drift_service import places
    from manage_db.schema_check.models_service import check_models, check_models_live

    admin, password = app.admin_uri(None, target), app.owner_password(target)
    if not live:
        return partial(check_models, target, spec, admin, password)
    ((_, others),) = places([target], app.components(), app.owner_uri)
    return partial(check_models_live, target, spec, admin, app.owner_uri(target), password, others)


@click.command("drift")
@component_option
@admin_uri_option
@json_option
@click.pass_obj
def drift(app, components, admin_uri, as_json):
    """Compare each live database with the schema its history gives at the revision it is at.

    The live database is read in one read-only transaction; the history is built in a
    throwaway database of the same server (superuser `admin_uri`). Exit 0 when nothing was
    changed by hand, 1 with one line per difference.
    """
    from manage_db.errors import EXIT_FINDINGS
    from manage_db.schema_check.drift_service import drift as run_drift
    from manage_db.schema_check.drift_service import places
    from manage_db.schema_check.notifier import render_reports

    app = app.with_admin_uri(admin_uri)
    groups = places(app.components(components), app.components(), app.owner_uri)
    jobs = [
        (
            members,
            others,
            app.owner_uri(members[0]),
            app.admin_uri(None, members[0]),
            app.owner_password(members[0]),
        )
        for members, others in groups
    ]
    app.become_unprivileged(peer_admin=app.uses_peer_admin)
    reports = [
        run_drift(members, live, admin, password, others)
        for members, others, live, admin, password in jobs
    ]
    click.echo(render_reports(reports, as_json))
    raise SystemExit(0 if all(r.clean for r in reports) else EXIT_FINDINGS)
