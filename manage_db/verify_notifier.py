"""Rendering of verify reports, as text or JSON: used by the command and the pytest plugin
(importable without click)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def summary_line(report: Any) -> str:
    """``<component>: clean|N defect(s), C/R revisions checked[, K not round-tripped]``."""
    state = "clean" if report.clean else f"{len(report.defects)} defect(s)"
    line = f"{report.component}: {state}, {report.checked}/{report.revisions} revisions checked"
    if report.not_round_tripped:
        line += f", {len(report.not_round_tripped)} not round-tripped"
    if report.rebuilds:
        line += f", database rebuilt {report.rebuilds} time(s)"
    return line


def defect_lines(defects: Sequence[Any]) -> list[str]:
    """One line per defect (revision, step, message), then one per difference (objects)."""
    lines: list[str] = []
    for defect in defects:
        lines.append(f"  {defect.revision or '-'} {defect.step}: {defect.message}")
        lines.extend(f"    {difference}" for difference in defect.differences)
    return lines


def render_reports(reports: Sequence[Any], as_json: bool) -> str:
    """The reports as text (a summary, one line per defect and its differences) or JSON."""
    if as_json:
        return json.dumps([r.to_dict() for r in reports], indent=2, default=str)
    lines: list[str] = []
    for report in reports:
        lines.append(summary_line(report))
        lines.extend(defect_lines(report.defects))
        lines.extend(
            f"  {n.revision} not round-tripped: {n.reason}" for n in report.not_round_tripped
        )
        if report.stopped:
            lines.append(f"  stopped: {report.stopped}")
    return "\n".join(lines)
