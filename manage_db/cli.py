"""The command line: global options, error handling, and the commands."""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from manage_db import __version__
from manage_db.errors import ManageDbError

# Commands load on first use, so `status` does not pay for importing `lint` or `sandbox`.
_COMMANDS = {
    "init": "manage_db.commands.init:init",
    "upgrade": "manage_db.commands.migrate:upgrade",
    "downgrade": "manage_db.commands.migrate:downgrade",
    "stamp": "manage_db.commands.migrate:stamp",
    "status": "manage_db.commands.status:status",
    "check": "manage_db.commands.status:check",
    "current": "manage_db.commands.status:current",
    "heads": "manage_db.commands.status:heads",
    "history": "manage_db.commands.status:history",
    "log": "manage_db.commands.applied_history:log",
    "repair": "manage_db.commands.applied_history:repair",
    "revision": "manage_db.commands.revision:revision",
    "lint": "manage_db.commands.lint:lint",
    "release": "manage_db.commands.lint:release",
    "verify": "manage_db.commands.verify:verify",
    "audit": "manage_db.commands.audit:audit",
    "plan": "manage_db.commands.plan:plan",
    "sandbox": "manage_db.commands.sandbox:sandbox",
    "squash": "manage_db.commands.squash:squash",
}


class _Group(click.Group):
    """Loads commands lazily; every error the user can cause becomes one prefixed line and a code.

    ``ManageDbError`` carries its exit code; click's usage errors exit 2. ``--debug`` adds the
    traceback.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, _, attribute = _COMMANDS[name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ManageDbError as error:
            if ctx.params.get("debug"):
                traceback.print_exc()
            click.echo(f"wazo-manage-db: {error}", err=True)
            ctx.exit(error.exit_code)

    def main(self, args: Any = None, prog_name: str | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if not kwargs.pop("standalone_mode", True):
            return super().main(args, prog_name, standalone_mode=False, **kwargs)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            click.echo("wazo-manage-db: aborted", err=True)
            sys.exit(1)
        except click.ClickException as error:
            message = " ".join(error.format_message().split())
            click.echo(f"wazo-manage-db: {message} (see --help)", err=True)
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wazo-manage-db")
@click.option(
    "-c",
    "--config-file",
    metavar="FILE",
    help="Main configuration file (default /etc/wazo-manage-db/config.yml).",
)
@click.option("-d", "--debug", is_flag=True, default=None, help="Log everything, show tracebacks.")
@click.option("-l", "--log-level", metavar="LEVEL", help="debug, info, warning, error, critical.")
@click.option("--log-file", metavar="FILE", help="Log file (default /var/log/wazo-manage-db.log).")
@click.option(
    "-u", "--user", metavar="USER", help="Unprivileged user to run as when started as root."
)
@click.option("--db-uri", metavar="URI", help="Owner connection of the platform database.")
@click.pass_context
def cli(ctx, config_file, debug, log_level, log_file, user, db_uri):
    """wazo-manage-db: create, upgrade, check, lint and verify the platform's databases."""
    from manage_db.launcher import start_app

    drop = isinstance(ctx.obj, dict) and ctx.obj.get("drop_privileges", False)
    options = {
        "config_file": config_file,
        "debug": debug,
        "log_level": log_level,
        "log_file": log_file,
        "user": user,
        "db_uri": db_uri,
    }
    ctx.obj = start_app(ctx.invoked_subcommand, options, drop)


def main() -> None:
    """The click command line as a console script: like ``cli`` but drops root privileges
    before any work (``manage_db.launcher.main`` answers the common invocations first)."""
    cli.main(obj={"drop_privileges": True}, prog_name="wazo-manage-db")
