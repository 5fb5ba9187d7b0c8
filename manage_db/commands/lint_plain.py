"""``lint`` of named files and trees without click, the database configuration or alembic.

What a pre-commit hook and an editor run, on a few files: the start is most of their time. The
launcher hands over the command lines this module recognises (every path named, the options in
the spellings below); anything else (``--component``, no path, ``--rules-table``, ``--help``, a
form not listed) goes to the click command, which says what is wrong. Both run
:func:`run_lint`, so they print the same and exit the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manage_db.console import echo

_FORMATS = ("text", "json", "github")


@dataclass
class LintInvocation:
    """A parsed ``lint PATH...`` command line."""

    options: dict[str, Any]  # the global options
    paths: list[str] = field(default_factory=list)
    output_format: str = "text"
    strict: bool = False
    no_cache: bool = False
    ignore: list[str] = field(default_factory=list)


def parse(options: dict[str, Any], words: Sequence[str]) -> LintInvocation | None:
    """The invocation the words after ``lint`` spell (``options``: the global ones, parsed by
    the launcher), or None when click must parse them."""
    invocation = LintInvocation(options)
    remaining = iter(words)
    for word in remaining:
        name, equals, value = word.partition("=")
        if word in ("--strict", "--no-cache"):
            setattr(invocation, word[2:].replace("-", "_"), True)
        elif name in ("--format", "--ignore") and word.startswith("--"):
            value = value if equals else next(remaining, "")
            if not value or value.startswith("-"):
                return None
            if name == "--ignore":
                invocation.ignore.append(value)
            elif value in _FORMATS:
                invocation.output_format = value
            else:
                return None
        elif word.startswith("-"):
            return None
        else:
            invocation.paths.append(word)
    return invocation if invocation.paths else None


def run(invocation: LintInvocation) -> int:
    """Run it as the click command would, with the settings only (no components, so neither
    app.py nor the registry is loaded, but on an error); the exit code."""
    debug = bool(invocation.options.get("debug"))
    try:
        return _lint_with_settings(invocation)
    except KeyboardInterrupt as error:
        from manage_db.app import report

        echo("", err=True)  # the end of the ^C line, as click writes it
        return report(error, debug)
    except (BrokenPipeError, Exception) as error:
        from manage_db.app import report

        return report(error, debug)


def _lint_with_settings(invocation: LintInvocation) -> int:
    from manage_db.config import global_options, load_settings

    options = invocation.options
    overrides = {name: options.get(name) for name in global_options() if name != "config_file"}
    settings = load_settings(options.get("config_file"), overrides, offline=True)
    # as app.start_app does; lint is one of the commands that keep log warnings quiet. Only
    # .sql files named: nothing on their path logs (no alembic, no database), so without
    # --debug the log is not set up (nor the logging module loaded).
    if settings.debug or not all(path.endswith(".sql") for path in invocation.paths):
        from manage_db.log import setup_logging

        setup_logging(settings.log_file, settings.log_level, bool(settings.debug))
    return run_lint(
        settings.get("lint"),
        [Path(p) for p in invocation.paths],
        invocation.output_format,
        strict=invocation.strict,
        ignore=tuple(invocation.ignore),
        no_cache=invocation.no_cache,
    )


def run_lint(
    section: Any,
    trees: list[Path],
    output_format: str,
    *,
    strict: bool,
    ignore: tuple[str, ...],
    no_cache: bool,
) -> int:
    """Lint ``trees`` with the ``lint:`` settings ``section``; print the report; the exit code."""
    from dataclasses import replace
    from importlib.util import find_spec

    from manage_db.errors import ConfigError
    from manage_db.lint.config import settings_from
    from manage_db.lint.notifier import render, summary
    from manage_db.lint.service import lint_paths

    # pglast is only recommended by the Debian package: say so instead of an ImportError.
    if find_spec("pglast") is None:
        raise ConfigError(
            "lint needs pglast to parse SQL: apt-get install python3-pglast (or pip install pglast)"
        )
    settings = settings_from(section, ignore)
    if no_cache:
        settings = replace(settings, cache=False)
    report = lint_paths(trees, settings)
    output = render(report, output_format)
    if output:
        echo(output)
    if output_format == "text":
        echo(summary(report), err=True)
    return 1 if report.failed(strict) else 0
