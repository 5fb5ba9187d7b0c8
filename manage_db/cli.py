"""The command line: global options, error handling, and the commands."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from manage_db import __version__
from manage_db.app import report, start_app
from manage_db.config import Key, global_options
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
    "check-models": "manage_db.commands.schema_check:check_models",
    "drift": "manage_db.commands.schema_check:drift",
    "plan": "manage_db.commands.plan:plan",
    "sandbox": "manage_db.commands.sandbox:sandbox",
    "squash": "manage_db.commands.squash:squash",
}


class _Group(click.Group):
    """Loads commands lazily; every error ends the run through ``app.report`` (the launcher's
    fast path ends through it too); click's usage errors are one prefixed line, exit 2.
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
            ctx.exit(report(error, bool(ctx.params.get("debug"))))

    def main(self, args: Any = None, prog_name: str | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if not kwargs.pop("standalone_mode", True):
            return super().main(args, prog_name, standalone_mode=False, **kwargs)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:  # click wrote the end of the ^C line
            sys.exit(report(KeyboardInterrupt(), False))
        except click.ClickException as error:
            message = " ".join(error.format_message().split())
            click.echo(f"wazo-manage-db: {message} (see --help)", err=True)
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


def _help(key: Key) -> str:
    """A global option's help: the setting's one-line doc, its bounds and its default."""
    default = key.shown or ("" if key.kind is bool or key.default is None else str(key.default))
    if "://" in default:  # a connection: its default is the configuration's, not a line of help
        default = ""
    doc = key.summary
    return doc[:1].upper() + doc[1:] + (f" (default {default})." if default else ".")


def _with_global_options(function: Any) -> Any:
    """The declared global options (``config.KEYS``' flags), in table order."""
    for name, key in reversed(global_options().items()):
        if key.kind is bool:
            option = click.option(*key.spellings, name, is_flag=True, default=None, help=_help(key))
        else:
            option = click.option(*key.spellings, name, metavar=key.metavar, help=_help(key))
        function = option(function)
    return function


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wazo-manage-db")
@_with_global_options
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """wazo-manage-db: create, upgrade, check, lint and verify the platform's databases."""
    drop = isinstance(ctx.obj, dict) and ctx.obj.get("drop_privileges", False)
    ctx.obj = start_app(ctx.invoked_subcommand, options, drop)


def main() -> None:
    """The click command line as a console script: like ``cli`` but drops root privileges
    before any work (``manage_db.launcher.main`` answers the common invocations first)."""
    cli.main(obj={"drop_privileges": True}, prog_name="wazo-manage-db")
