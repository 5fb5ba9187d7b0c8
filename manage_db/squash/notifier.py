"""What squash tells: one line per fact, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from manage_db.squash.model import SquashReport


def render(reports: Sequence[SquashReport], as_json: bool) -> str:
    """The reports as text lines or a JSON document."""
    if as_json:
        return json.dumps({"squashes": [r.to_dict() for r in reports]}, indent=2)
    return "\n".join(line for report in reports for line in _lines(report))


def _lines(report: SquashReport) -> list[str]:
    name, revision = report.component, report.revision
    release = f" (release {report.release})" if report.release else ""
    if not report.proved:
        lines = [
            f"{name}: squash to {revision}{release} NOT proved, tree unchanged: "
            f"{len(report.differences)} difference(s)"
        ]
        return lines + [f"  {line}" for line in report.differences]
    lines = [
        f"{name}: squashed {len(report.squashed)} revisions into baseline {revision}{release}, "
        "proved at it and at the heads"
    ]
    lines.append(f"  baseline: {report.baseline_file}")
    lines.append(f"  dump: {report.dump_file}")
    lines.append(f"  removed: {len(report.removed_files)} file(s)")
    lines.append(f"  extensions it needs: {', '.join(report.extensions) or 'none'}")
    for value in report.per_install:
        lines.append(
            f"  generated per install: {value.kind} first seen in {value.where} "
            f"({value.placeholder})"
        )
    return lines
