"""How results are told: the console table, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence

from manage_db.models import RunResult, StatusRow


def _revs(revisions: Sequence[str]) -> str:
    return ",".join(revisions) or "base"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def render_summary(results: Sequence[RunResult], as_json: bool = False) -> str:
    """The summary table that ends init, upgrade, downgrade and stamp."""
    if as_json:
        return json.dumps(
            [
                {
                    "component": r.component,
                    "from": list(r.before),
                    "to": list(r.after),
                    "result": r.result,
                    "message": r.message,
                    "applied": r.applied,
                }
                for r in results
            ],
            indent=2,
        )
    rows = [
        (
            r.component,
            _revs(r.before) if r.result != "skipped" else "-",
            # A failed migration knows where it left the database (its last good revision).
            _revs(r.after) if r.result == "ok" or r.after else "-",
            r.result,
            r.message,
        )
        for r in results
    ]
    return _table(("component", "from", "to", "result", "message"), rows)


def status_state(row: StatusRow) -> str:
    if row.error:
        return "error"
    return "at head" if row.at_head else "behind"


def render_status(rows: Sequence[StatusRow], as_json: bool = False) -> str:
    """One line per component, or JSON."""
    if as_json:
        return json.dumps(
            [
                {
                    "component": r.component,
                    "database": r.database,
                    "current": list(r.current),
                    "heads": list(r.heads),
                    "at_head": r.at_head,
                    "state": status_state(r),
                    "error": r.error,
                }
                for r in rows
            ],
            indent=2,
        )
    lines = []
    for r in rows:
        if r.error:
            lines.append(f"{r.component}: error: {r.error}")
        else:
            detail = "" if r.at_head else f" (head {_revs(r.heads)})"
            lines.append(f"{r.component}: {status_state(r)} at {_revs(r.current)}{detail}")
    return "\n".join(lines)


def render_current(rows: Sequence[StatusRow]) -> str:
    """Each component's applied revisions, the heads among them marked."""
    lines = []
    for r in rows:
        if r.error:
            lines.append(f"{r.component}: error: {r.error}")
        else:
            marks = [f"{rev}{' (head)' if rev in r.heads else ''}" for rev in r.current]
            lines.append(f"{r.component}: {', '.join(marks) or 'base'}")
    return "\n".join(lines)


def status_exit_code(rows: Sequence[StatusRow]) -> int:
    """0 all at head, 3 some behind, the error's code when a component could not be read."""
    from manage_db.errors import EXIT_BEHIND

    for r in rows:
        if r.error:
            return r.exit_code or 1
    return 0 if all(r.at_head for r in rows) else EXIT_BEHIND
