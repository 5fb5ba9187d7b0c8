"""wazo-manage-db plan"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, json_option


@click.command("plan")
@component_option
@json_option
@click.pass_obj
def plan(app, components, as_json):
    """Show what the pending migrations would do to the live database, changing nothing.

    Exit 0 when nothing would fail, 1 when something would.
    """
    from manage_db.plan_notifier import render_plan

    plans = run_plan(app, app.components(components))
    click.echo(render_plan(plans, as_json))
    for failed in plans:
        if failed.error:
            click.echo(f"wazo-manage-db: {failed.error}", err=True)
    raise SystemExit(plan_exit_code(plans))


def run_plan(app, components):
    """The plan of ``components`` with the run's settings (also used by ``upgrade --plan``)."""
    from manage_db.config import section_record
    from manage_db.services.plan import PlanSettings, plan_components

    app.become_unprivileged()
    settings = section_record(app.settings, "plan", PlanSettings)
    return plan_components(components, app.access.owner_uri, settings, app.settings.server_wait)


def check_plan(app, components, force: bool) -> None:
    """``upgrade --plan``: print and log the plan; stop unless it passes or ``force`` is given."""
    import logging

    from manage_db.errors import ManageDbError
    from manage_db.plan_notifier import render_plan

    plans = run_plan(app, components)
    text = render_plan(plans)
    click.echo(text)
    logging.getLogger(__name__).info("plan:\n%s", text, extra={"console": False})
    code = plan_exit_code(plans)
    unreadable = [p for p in plans if p.error]
    for failed in unreadable:
        click.echo(f"wazo-manage-db: {failed.error}", err=True)
    if code and not force:
        failing = [p.component for p in plans if p.would_fail and not p.error]
        what = (
            f"the plan says the upgrade of {', '.join(failing)} would fail"
            if failing
            else f"no plan for {', '.join(p.component for p in unreadable)}"
        )
        error = ManageDbError(f"{what}; nothing was upgraded (--force to upgrade anyway)")
        error.exit_code = code
        raise error
    if code:
        logging.getLogger(__name__).warning(
            "the plan says the upgrade would fail or could not be made; going on (--force)"
        )


def plan_exit_code(plans) -> int:
    """0 when nothing would fail, 1 when something would, an error's own code first."""
    from manage_db.errors import EXIT_FINDINGS

    for plan in plans:
        if plan.error:
            return plan.exit_code or EXIT_FINDINGS
    return EXIT_FINDINGS if any(p.would_fail for p in plans) else 0
