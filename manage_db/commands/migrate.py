"""wazo-manage-db upgrade / downgrade / stamp"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, finish, json_option, single_component
from manage_db.commands.plain import upgrade_to

# alembic users type `downgrade -1` and `upgrade +2`: a revision, not an unknown option.
_REVISION_ARGUMENTS = {"ignore_unknown_options": True}


@click.command("upgrade", context_settings=_REVISION_ARGUMENTS)
@click.argument("revision", default="heads")
@component_option
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it (offline mode).")
@click.option("--from", "start", metavar="REV", help="With --sql: start from this revision.")
@click.option("--plan", "with_plan", is_flag=True, help="Print the plan first; stop if it fails.")
@click.option("--force", is_flag=True, help="With --plan: upgrade even when the plan fails.")
@json_option
@click.pass_obj
def upgrade(app, revision, components, sql, start, with_plan, force, as_json):
    """Apply pending migrations up to REVISION (default: heads; an id, a prefix, +N) as each
    owner role."""
    _refuse_option_typo(revision)
    selected = app.components(components)
    if revision not in ("head", "heads") or start:
        selected = [single_component(app, components, f"upgrade {revision}")]
    app.become_unprivileged()
    if with_plan and not sql:
        from manage_db.commands.plan import check_plan

        check_plan(app, selected, force)
    if sql:
        from manage_db.services.migration import offline_sql

        for component in selected:
            click.echo(f"-- component {component.name}")
            offline_sql(component, app.owner_uri(component), revision, start)
        raise SystemExit(0)
    raise SystemExit(upgrade_to(app, selected, revision, as_json))


def _refuse_option_typo(revision: str) -> None:
    """``-1`` is a revision, ``--jsn`` a mistyped option."""
    if revision.startswith("--"):
        raise click.UsageError(f"No such option: {revision}")


def _single_step(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text, context_settings=_REVISION_ARGUMENTS)
    @click.argument("revision")
    @component_option
    @json_option
    @click.pass_obj
    def command(app, revision, components, as_json):
        from manage_db.cancellation import cancellable
        from manage_db.services.runner import RunOptions, step_component

        _refuse_option_typo(revision)
        component = single_component(app, components, f"{name} {revision}")
        app.become_unprivileged()
        options = RunOptions.from_settings(app.settings)
        with cancellable():
            results, code = step_component(app.access, component, options, name, revision)
        finish(results, code, as_json)

    return command


downgrade = _single_step("downgrade", "Revert migrations down to REVISION (an id, -N or base).")
stamp = _single_step("stamp", "Record REVISION as applied without running any migration.")
