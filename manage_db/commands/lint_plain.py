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

from manage_db.commands.plain import echo

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


def parse(argv: Sequence[str]) -> LintInvocation | None:
    """The invocation ``argv`` spells, or None when click must parse it."""
    from manage_db.launcher import global_options

    parsed = global_options(argv)
    if parsed is None or parsed[1] >= len(argv) or argv[parsed[1]] != "lint":
        return None
    invocation = LintInvocation(parsed[0])
    words = iter(argv[parsed[1] + 1 :])
    for word in words:
        name, equals, value = word.partition("=")
        if word in ("--strict", "--no-cache"):
            setattr(invocation, word[2:].replace("-", "_"), True)
        elif name in ("--format", "--ignore") and word.startswith("--"):
            value = value if equals else next(words, "")
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
    """Run it as the click command would, with the settings only (no components); exit code."""
    from manage_db.launcher import run_guarded

    def body() -> int:
        from manage_db.config import load_settings
        from manage_db.log import setup_logging

        options = invocation.options
        settings = load_settings(
            options.get("config_file"),
            {key: options.get(key) for key in ("debug", "log_level", "log_file", "user", "db_uri")},
        )
        # as the click group does; lint is one of the commands that keep log warnings quiet
        setup_logging(settings.log_file, settings.log_level, bool(settings.debug))
        return run_lint(
            settings.get("lint"),
            [Path(p) for p in invocation.paths],
            invocation.output_format,
            strict=invocation.strict,
            ignore=tuple(invocation.ignore),
            no_cache=invocation.no_cache,
        )

    return run_guarded(invocation.options, body)


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
