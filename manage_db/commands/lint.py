"""wazo-manage-db lint / release: check migration trees; record released revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from manage_db.commands.options import component_option


def _settings(app: Any, ignore: tuple[str, ...] = ()) -> Any:
    from manage_db.lint.config import settings_from

    section = (getattr(app, "settings", None) or {}).get("lint")
    return settings_from(section, ignore)


def _trees(app: Any, paths: tuple[str, ...], components: tuple[str, ...]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    return [Path(c.script_location) for c in app.components(components)]


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@component_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: file:line:col CODE message; github: workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--ignore", multiple=True, metavar="CODE", help="Also ignore this rule (repeatable).")
@click.option("--no-cache", is_flag=True, help="Re-check every file.")
@click.option(
    "--rules-table", is_flag=True, help="Print the rules table (docs/lint.md's) and exit."
)
@click.pass_obj
def lint(app, paths, components, output_format, strict, ignore, no_cache, rules_table):
    """Check migration trees (default: every component's) or the given trees or files.

    Exit 0 when clean, 1 when there are errors (or warnings, with --strict).
    """
    from manage_db.commands.lint_plain import run_lint

    if rules_table:
        from manage_db.lint.rules import rules_table as table

        click.echo(table())
        return
    section = (getattr(app, "settings", None) or {}).get("lint")
    trees = _trees(app, paths, components)
    code = run_lint(section, trees, output_format, strict=strict, ignore=ignore, no_cache=no_cache)
    raise SystemExit(code)


@click.command("release")
@click.argument("paths", nargs=-1, type=click.Path())
@component_option
@click.pass_obj
def release(app, paths, components):
    """Record every revision not yet in the tree's release manifest as released.

    Run it when a version ships; lint then fails if one of them is edited or removed.
    """
    from manage_db.lint.service import record_release

    settings = _settings(app)
    for tree in _trees(app, paths, components):
        added = record_release(tree, settings)
        for entry in added:
            click.echo(f"{tree / settings.manifest}: recorded {entry.key} ({entry.path})")
        if not added:
            click.echo(f"{tree / settings.manifest}: nothing new to record")
