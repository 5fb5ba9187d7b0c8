"""wazo-manage-db upgrade / downgrade / stamp"""

from __future__ import annotations

import click

from manage_db.commands.options import component_option, finish, json_option, single_component


@click.command("upgrade")
@click.argument("revision", default="heads")
@component_option
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it (offline mode).")
@click.option("--from", "start", metavar="REV", help="With --sql: start from this revision.")
@json_option
@click.pass_obj
def upgrade(app, revision, components, sql, start, as_json):
    """Apply pending migrations up to REVISION (default: heads) as each owner role."""
    from manage_db.services.runner import upgrade_components

    selected = app.components(components)
    if revision not in ("head", "heads") or start:
        selected = [single_component(app, components, f"upgrade {revision}")]
    app.become_unprivileged()
    if sql:
        from manage_db.services.migration import offline_sql

        for component in selected:
            click.echo(f"-- component {component.name}")
            offline_sql(component, app.owner_uri(component), revision, start)
        return
    from manage_db.cancellation import cancellable

    with cancellable():
        results, code = upgrade_components(app, selected, revision)
    finish(results, code, as_json)


def _single_step(name: str, help_text: str):
    @click.command(name, help=help_text)
    @click.argument("revision")
    @component_option
    @json_option
    @click.pass_obj
    def command(app, revision, components, as_json):
        from manage_db.cancellation import cancellable
        from manage_db.services import migration
        from manage_db.services.runner import run_in_order
        from manage_db.timeouts import timeouts_for

        component = single_component(app, components, f"{name} {revision}")
        app.become_unprivileged()
        step = getattr(migration, name)
        with cancellable():
            results, code = run_in_order(
                [component],
                lambda c: step(
                    c,
                    app.owner_uri(c),
                    revision,
                    lock_wait=float(app.settings["lock_wait"]),
                    timeouts=timeouts_for(app.settings, c.name),
                ),
            )
        finish(results, code, as_json)

    return command


downgrade = _single_step("downgrade", "Revert migrations down to REVISION (an id, -N or base).")
stamp = _single_step("stamp", "Record REVISION as applied without running any migration.")
