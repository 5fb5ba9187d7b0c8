"""Options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

component_option = click.option(
    "--component",
    "components",
    multiple=True,
    metavar="NAME",
    help="Only this component (repeatable); default: all, in depends_on order.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def admin_uri_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--admin-uri, also accepted under its old name --pg_db_uri."""
    return click.option(
        "--admin-uri",
        "--pg_db_uri",
        "admin_uri",
        metavar="URI",
        help="Superuser connection (default: the postgres OS user over the Unix socket).",
    )(function)


def single_component(app: Any, names: tuple[str, ...], what: str) -> Any:
    """The one component a command that takes a revision acts on."""
    from manage_db.errors import ConfigError

    components = app.components(names)
    if len(components) != 1:
        raise ConfigError(
            f"{what} needs exactly one component; choose one with --component "
            f"({', '.join(c.name for c in components)})"
        )
    return components[0]


def finish(results: Any, exit_code: int, as_json: bool) -> None:
    """Print the summary, one stderr line per failed component, and exit with the run's code."""
    from manage_db.commands.plain import summary

    raise SystemExit(summary(results, exit_code, as_json))
