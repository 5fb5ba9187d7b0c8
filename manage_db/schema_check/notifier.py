"""How check-models and drift are told: one line per difference naming the object and what
each side says, a summary line per component, or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.schema_check.model import SchemaReport
from manage_db.services.schema_diff import CHANGED, MISSING, Difference


def difference_line(difference: Difference, expected: str, actual: str) -> str:
    """``table public.users: column email: not_null: models True, migrations False``."""
    where = difference.location
    if difference.change == CHANGED:
        return (
            f"{where}: {expected} {_show(difference.expected)}, {actual} {_show(difference.actual)}"
        )
    if difference.change == MISSING:
        value = "" if not difference.path else f" ({_brief(difference.expected)})"
        return f"{where}: in the {expected}{value}, not in the {actual}"
    value = "" if not difference.path else f" ({_brief(difference.actual)})"
    return f"{where}: in the {actual}{value}, not in the {expected}"


def summary_line(report: SchemaReport) -> str:
    """``chatd: 3 difference(s) between the models and the migrations``."""
    verdict = "clean" if report.clean else f"{len(report.differences)} difference(s)"
    at = f" ({', '.join(report.revisions)})" if report.revisions else ""
    return (
        f"{report.component}: {verdict}: {report.expected_label} against {report.actual_label}{at}"
    )


def report_lines(report: SchemaReport) -> list[str]:
    """The summary line, then one indented line per difference."""
    return [summary_line(report)] + [
        "  " + difference_line(d, report.expected_label, report.actual_label)
        for d in report.differences
    ]


def render_reports(reports: Sequence[SchemaReport], as_json: bool = False) -> str:
    """Every component's report, as text or JSON."""
    if as_json:
        return json.dumps([r.to_dict() for r in reports], indent=2, default=str)
    return "\n".join(line for report in reports for line in report_lines(report))


def _brief(value: Any) -> str:
    """A sub-object that is on one side only: its definition (a constraint, a trigger), or its
    type, nullability and default (a column)."""
    if not isinstance(value, Mapping):
        return _show(value)
    if value.get("definition"):
        return " ".join(str(value["definition"]).split())
    if "type" in value:
        words = [str(value["type"])]
        if value.get("not_null"):
            words.append("not null")
        if value.get("default") is not None:
            words.append(f"default {value['default']}")
        return " ".join(words)
    return _show(dict(value))


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        text = " ".join(value.split())
        return repr(text if len(text) <= 160 else text[:157] + "...")
    return repr(value)
