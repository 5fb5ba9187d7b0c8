"""How results are told: the console tables and lines, JSON for scripts.

Every command's renderer lives here (lint's and verify's have their own notifiers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from manage_db.models import RunResult, StatusRow, TreeRevision

if TYPE_CHECKING:
    from manage_db.services.audit import AuditFinding
    from manage_db.services.sandbox import SandboxRun


def _revs(revisions: Sequence[str] | None) -> str:
    """Revisions as a summary cell: ``base`` for none, ``-`` when the database was not read."""
    if revisions is None:
        return "-"
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
                    "from": None if r.before is None else list(r.before),
                    "to": None if r.after is None else list(r.after),
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
        from manage_db.replication.notifier import server_json

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
                    **({"server": server_json(r.server)} if r.server else {}),
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


def current_exit_code(rows: Sequence[StatusRow]) -> int:
    """``current`` only fails when a database could not be read (behind is an answer)."""
    from manage_db.errors import EXIT_BEHIND

    code = status_exit_code(rows)
    return 0 if code == EXIT_BEHIND else code


def render_row_errors(rows: Sequence[StatusRow]) -> str:
    """One prefixed stderr line per component that could not be read."""
    return "\n".join(f"wazo-manage-db: {r.error}" for r in rows if r.error)


def render_failures(results: Sequence[RunResult]) -> str:
    """One prefixed stderr line per failed component of a summary."""
    return "\n".join(f"wazo-manage-db: {r.message}" for r in results if r.result == "failed")


def render_heads(heads: Sequence[TreeRevision]) -> str:
    """``component: revision message`` per head."""
    return "\n".join(f"{h.component}: {h.revision} {h.message}".rstrip() for h in heads)


def render_history(revisions: Sequence[TreeRevision]) -> str:
    """alembic's history lines: ``down -> rev (head), message``, newest first."""
    lines = []
    for rev in revisions:
        down = ",".join(rev.down_revisions) or "<base>"
        mark = " (head)" if rev.head else ""
        lines.append(f"{down} -> {rev.revision}{mark}, {rev.message}")
    return "\n".join(lines)


def render_findings(
    components: Sequence[str], findings: Sequence[AuditFinding], as_json: bool = False
) -> str:
    """The audit report: one line per finding (or a clean line per component), or JSON."""
    if as_json:
        return json.dumps(
            {"clean": not findings, "findings": [f.to_dict() for f in findings]}, indent=2
        )
    lines = [str(finding) for finding in findings]
    dirty = {finding.component for finding in findings}
    lines.extend(f"{name}: clean" for name in components if name not in dirty)
    return "\n".join(lines)


def render_sandbox(run: SandboxRun) -> str:
    """The sandbox's summary, its status lines, and where a kept server lives."""
    parts = [render_summary(run.results), render_status(run.rows)]
    if run.server_uri:
        parts.append(f"Sandbox server kept running: {run.server_uri}")
        parts.append(f"Stop it and remove its files: {run.stop_command}")
    return "\n".join(parts)
