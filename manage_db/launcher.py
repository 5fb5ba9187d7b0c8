"""The console script: ``status`` and ``upgrade`` to the heads without loading click.

These are what every package install (postinst: ``wazo-manage-db upgrade``) and every operator
runs, and they are short: importing click would be a sixth of their time. This module recognises
them, with the global options, in the spellings listed below, and runs the same code the click
commands run (``commands/plain.py``). Anything else (another command, ``--help``, an option or
form it does not list) goes to the click command line (``manage_db.cli``), which says what is
wrong exactly as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Global options that take a value, by every spelling click accepts for them here.
_VALUED = {
    "-c": "config_file",
    "--config-file": "config_file",
    "-l": "log_level",
    "--log-level": "log_level",
    "--log-file": "log_file",
    "-u": "user",
    "--user": "user",
    "--db-uri": "db_uri",
}
_FLAGS = {"-d": "debug", "--debug": "debug"}
_COMMANDS = ("status", "check", "upgrade")
# Commands whose warnings about the log file would be noise (the click group keeps this list).
QUIET_COMMANDS = ("revision", "heads", "history", "lint")


class Invocation:
    """A parsed fast-path command line."""

    def __init__(self, command: str, options: dict[str, Any]) -> None:
        self.command = command
        self.options = options  # the global options, as the click group receives them
        self.components: list[str] = []
        self.as_json = False
        self.revision = "heads"


def _option_value(argv: Sequence[str], i: int, names: Mapping[str, str]) -> tuple[str, str, int]:
    """``(key, value, next index)`` of ``--name value`` / ``--name=value`` / ``-x value``."""
    word = argv[i]
    name, equals, value = word.partition("=")
    if equals and name.startswith("--"):
        return names[name], value, i + 1
    if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
        raise ValueError(word)  # let click say it
    return names[word], argv[i + 1], i + 2


def global_options(argv: Sequence[str]) -> tuple[dict[str, Any], int] | None:
    """(the global options, index of the command) of a command line; None when click must
    parse them (a spelling not listed here)."""
    options: dict[str, Any] = dict.fromkeys(("debug", "log_level", "log_file", "user", "db_uri"))
    options["config_file"] = None
    i = 0
    try:
        while i < len(argv) and argv[i].startswith("-"):
            word = argv[i]
            if word in _FLAGS:
                options[_FLAGS[word]] = True
                i += 1
            elif word.partition("=")[0] in _VALUED and (word in _VALUED or word.startswith("--")):
                key, value, i = _option_value(argv, i, _VALUED)
                options[key] = value
            else:
                return None
    except ValueError:
        return None
    return options, i


def parse(argv: Sequence[str]) -> Invocation | None:
    """The fast-path invocation ``argv`` spells, or None when click must parse it."""
    parsed = global_options(argv)
    if parsed is None:
        return None
    options, i = parsed
    try:
        if i >= len(argv) or argv[i] not in _COMMANDS:
            return None
        invocation = Invocation(argv[i], options)
        positional: list[str] = []
        i += 1
        while i < len(argv):
            word = argv[i]
            if word == "--json":
                invocation.as_json = True
                i += 1
            elif word == "--component" or word.startswith("--component="):
                _key, value, i = _option_value(argv, i, {"--component": "component"})
                invocation.components.append(value)
            elif word.startswith("-"):
                return None
            else:
                positional.append(word)
                i += 1
    except ValueError:
        return None
    if invocation.command == "upgrade":
        if len(positional) > 1 or (positional and positional[0] not in ("head", "heads")):
            return None
        invocation.revision = positional[0] if positional else "heads"
    elif positional:
        return None
    return invocation


def start_app(command: str | None, options: Mapping[str, Any], drop_privileges: bool) -> Any:
    """The run's App from the global options: settings, logging, the privilege drop.

    What the click group does before any command; ManageDbError for a bad configuration.
    """
    from manage_db.app import App
    from manage_db.commands.plain import echo
    from manage_db.config import load_settings
    from manage_db.log import setup_logging
    from manage_db.privileges import PrivilegeDrop

    settings = load_settings(
        options.get("config_file"),
        {key: options.get(key) for key in ("debug", "log_level", "log_file", "user", "db_uri")},
    )
    warning = setup_logging(settings.log_file, settings.log_level, bool(settings.debug))
    if warning and command not in QUIET_COMMANDS:
        echo(f"wazo-manage-db: warning: {warning}", err=True)
    db_uri = options.get("db_uri")
    if db_uri:
        from manage_db.dao.connection import has_password

        if has_password(db_uri):
            echo(
                "wazo-manage-db: warning: --db-uri carries a password, which other users can see "
                "in the process list; put it in a component's password_file instead",
                err=True,
            )
    return App(settings, PrivilegeDrop(drop_privileges, settings.user, settings.user_required))


def run(invocation: Invocation, *, drop_privileges: bool = True) -> int:
    """Run a parsed invocation as the click command line would; its exit code."""

    def body() -> int:
        from manage_db.commands import plain

        app = start_app(invocation.command, invocation.options, drop_privileges)
        if invocation.command == "upgrade":
            return plain.upgrade_to_heads(
                app, invocation.components, invocation.revision, invocation.as_json
            )
        return plain.show_status(app, invocation.components, invocation.as_json)

    return run_guarded(invocation.options, body)


def run_guarded(options: Mapping[str, Any], body: Callable[[], int]) -> int:
    """``body()``'s exit code, with a ManageDbError (and ^C, a closed pipe) turned into one
    line and its exit code, as the click command line does."""
    from manage_db.commands import plain
    from manage_db.errors import ManageDbError

    try:
        return body()
    except ManageDbError as error:
        if options.get("debug"):
            import traceback

            traceback.print_exc()
        plain.echo(f"wazo-manage-db: {error}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        plain.echo("", err=True)
        plain.echo("wazo-manage-db: aborted", err=True)
        return 1
    except BrokenPipeError:
        # As click does: the reader went away; say nothing more, on a stream that cannot fail.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def main() -> None:
    """Console script: the fast path when it applies, else the click command line.

    Either way root privileges are dropped before any work.
    """
    invocation = parse(sys.argv[1:])
    if invocation is None and "lint" in sys.argv[1:]:
        from manage_db.commands import lint_plain

        lint_invocation = lint_plain.parse(sys.argv[1:])
        if lint_invocation is not None:  # .sql files and trees named: no click, no components
            sys.exit(lint_plain.run(lint_invocation))
    if invocation is None:
        from manage_db.cli import main as click_main

        click_main()
        return
    sys.exit(run(invocation))
