"""What ``status`` and the upgrade to the heads do once their options are parsed, without click.

The click commands (``commands/status.py``, ``commands/migrate.py``) and the launcher's fast path
(``manage_db/launcher.py``) both call these, so the two ways in print the same and exit the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manage_db.console import echo

__all__ = ["echo", "show_status", "status_rows", "summary", "upgrade_to", "upgrade_to_heads"]


def status_rows(app: Any, components: Sequence[str], servers: bool = False) -> list[Any]:
    """Where each selected component stands (rows of ``models.StatusRow``); ``servers``: with
    the server each was read from (its standbys and their lag)."""
    from manage_db.services.runner import RunOptions, status_components

    selected = app.components(components)
    app.become_unprivileged()
    options = RunOptions.from_settings(app.settings)
    return status_components(app.access, selected, options, servers=servers)


def show_status(app: Any, components: Sequence[str], as_json: bool) -> int:
    """``status``: one line (or JSON) per component; the exit code."""
    from manage_db.notifier import render_row_errors, render_status, status_exit_code

    rows = status_rows(app, components, servers=as_json)
    echo(render_status(rows, as_json))
    errors = render_row_errors(rows)
    if errors:
        echo(errors, err=True)
    return status_exit_code(rows)


def upgrade_to(app: Any, selected: Sequence[Any], revision: str, as_json: bool) -> int:
    """Run the upgrade of the selected components (privileges already dropped); the exit code."""
    from manage_db.cancellation import cancellable
    from manage_db.services.runner import RunOptions, upgrade_components
    from manage_db.services.upgrade_events import announce_upgrades

    options = RunOptions.from_settings(app.settings)
    with cancellable():
        results, code = upgrade_components(app.access, selected, options, revision)
    announce_upgrades(app.settings.get("bus"), app.access.db_uri, selected, results)
    return summary(results, code, as_json)


def upgrade_to_heads(app: Any, components: Sequence[str], revision: str, as_json: bool) -> int:
    """``upgrade`` / ``upgrade head(s)`` of the selected components; the exit code."""
    selected = app.components(components)
    app.become_unprivileged()
    return upgrade_to(app, selected, revision, as_json)


def summary(results: Sequence[Any], exit_code: int, as_json: bool) -> int:
    """Print the summary and one stderr line per failed component; return the run's code."""
    from manage_db.notifier import render_failures, render_summary

    echo(render_summary(results, as_json))
    failures = render_failures(results)
    if failures:
        echo(failures, err=True)
    return exit_code
