"""The console script: ``status`` and ``upgrade`` to the heads without loading click.

These are what every package install (postinst: ``wazo-manage-db upgrade``) and every operator
runs, and they are short: importing click would be a sixth of their time. This module recognises
them, with the global options, and runs the same code the click commands run
(``commands/plain.py``). The global options are the declared ones (``config.KEYS``, the keys with
a ``flag``: the click group's options come from the same table), and a run starts and ends on an
error as click's does (``app.start_app``, ``app.report``). Anything else (another command,
``--help``, an option or form it does not know) goes to the click command line
(``manage_db.cli``), which says what is wrong.
"""

from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.config import global_options

# The commands answered here; the rest is click's.
_COMMANDS = ("status", "check", "upgrade")


class Invocation:
    """A parsed fast-path command line."""

    def __init__(self, command: str, options: dict[str, Any]) -> None:
        self.command = command
        self.options = options  # the global options by key name, as the click group gets them
        self.components: list[str] = []
        self.as_json = False
        self.revision = "heads"


def _spellings() -> tuple[dict[str, str], dict[str, str]]:
    """(option taking a value → key, flag → key) for every spelling of the global options."""
    valued: dict[str, str] = {}
    flags: dict[str, str] = {}
    for name, key in global_options().items():
        for spelling in key.spellings:
            (flags if key.kind is bool else valued)[spelling] = name
    return valued, flags


def _option_value(argv: Sequence[str], i: int, names: Mapping[str, str]) -> tuple[str, str, int]:
    """``(key, value, next index)`` of ``--name value`` / ``--name=value`` / ``-x value``."""
    word = argv[i]
    name, equals, value = word.partition("=")
    if equals and name.startswith("--"):
        return names[name], value, i + 1
    if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
        raise ValueError(word)  # let click say it
    return names[word], argv[i + 1], i + 2


def leading_options(argv: Sequence[str]) -> tuple[dict[str, Any], int]:
    """The global options before the command, and the command's index; ValueError for what
    click must parse."""
    valued, flags = _spellings()
    options: dict[str, Any] = dict.fromkeys(global_options())
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        word = argv[i]
        if word in flags:
            options[flags[word]] = True
            i += 1
        elif word.partition("=")[0] in valued and (word in valued or word.startswith("--")):
            key, value, i = _option_value(argv, i, valued)
            options[key] = value
        else:
            raise ValueError(word)
    return options, i


def parse(argv: Sequence[str]) -> Invocation | None:
    """The fast-path invocation ``argv`` spells, or None when click must parse it."""
    try:
        options, i = leading_options(argv)
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


def run(invocation: Invocation, *, drop_privileges: bool = True) -> int:
    """Run a parsed invocation as the click command line would; its exit code."""
    from manage_db.app import report, start_app
    from manage_db.commands import plain

    try:
        app = start_app(invocation.command, invocation.options, drop_privileges)
        if invocation.command == "upgrade":
            return plain.upgrade_to_heads(
                app, invocation.components, invocation.revision, invocation.as_json
            )
        return plain.show_status(app, invocation.components, invocation.as_json)
    except KeyboardInterrupt as error:
        plain.echo("", err=True)  # the end of the ^C line, as click writes it
        return report(error, bool(invocation.options.get("debug")))
    except (BrokenPipeError, Exception) as error:
        return report(error, bool(invocation.options.get("debug")))


def _lint_named_paths(argv: Sequence[str]) -> int | None:
    """``lint PATH...`` run without click or the components (its exit code), when ``argv``
    spells one in the forms commands/lint_plain.py knows; else None."""
    try:
        options, i = leading_options(argv)
    except ValueError:
        return None
    if i >= len(argv) or argv[i] != "lint":
        return None
    from manage_db.commands import lint_plain

    invocation = lint_plain.parse(options, argv[i + 1 :])
    return None if invocation is None else lint_plain.run(invocation)


def main() -> None:
    """Console script: the fast path when it applies, else the click command line.

    Either way root privileges are dropped before any work.
    """
    # What the fast path allocates before the migrations run (modules, settings, the tree) lives
    # as long as the process: collections would scan it again and again for nothing (up to a
    # sixth of a small upgrade's CPU). The migrations run with the collector on (runtime.adapter).
    gc.disable()
    invocation = parse(sys.argv[1:])
    if invocation is not None:
        code = run(invocation)
        # On its way out the interpreter collects the whole heap once more (after an upgrade:
        # alembic, SQLAlchemy, the tree), for nothing; frozen, it goes with the process. atexit
        # handlers, flushing and closing run as ever; only the finalizers of objects left in
        # reference cycles are skipped, which Python never promised at exit.
        gc.freeze()
        sys.exit(code)
    gc.enable()  # lint and the click commands: collected as ever while they run
    # ... but not on their way out, as the fast path: the last collections would scan all they
    # loaded (check-models: SQLAlchemy, alembic, the tree, the models; 0.1-0.2 s of CPU). The
    # other exit handlers (logging's flush, thread pools' joins) still run.
    atexit.register(gc.freeze)
    if "lint" in sys.argv[1:]:
        linted = _lint_named_paths(sys.argv[1:])
        if linted is not None:
            sys.exit(linted)
    from manage_db.cli import main as click_main

    click_main()
