"""How findings are shown: ``file:line:col CODE message`` lines, JSON, or GitHub annotations."""

from __future__ import annotations

import json

from manage_db.lint.model import ERROR, INFO, WARNING, Finding
from manage_db.lint.service import LintReport

_GITHUB_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "notice"}


def render(report: LintReport, output_format: str) -> str:
    """The whole output for ``report`` in ``output_format`` (no trailing newline)."""
    if output_format == "json":
        return json.dumps(
            {
                "findings": [f.to_dict() for f in report.findings],
                "files": report.files,
                "revisions": report.revisions,
                "revisions_seen": report.revisions_seen,
                "errors": report.count(ERROR),
                "warnings": report.count(WARNING),
                "infos": report.count(INFO),
            },
            indent=2,
        )
    if output_format == "github":
        return "\n".join(_github(f) for f in report.findings)
    return "\n".join(text_line(f) for f in report.findings)


def text_line(finding: Finding) -> str:
    hint = f" (instead: {finding.hint})" if finding.hint else ""
    return (
        f"{finding.path}:{finding.line}:{finding.col} {finding.code} "
        f"[{finding.severity}] {finding.message}{hint}"
    )


def summary(report: LintReport) -> str:
    """One line for stderr: what was checked and what was found."""
    line = (
        f"lint: {report.files} file(s), {report.count(ERROR)} error(s), "
        f"{report.count(WARNING)} warning(s), {report.count(INFO)} info"
    )
    if report.revisions:
        share = 100 * report.revisions_seen / report.revisions
        line += (
            f"; op.* calls seen in {report.revisions_seen}/{report.revisions} revisions "
            f"({share:.1f}%)"
        )
    return line


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(finding: Finding) -> str:
    level = _GITHUB_LEVEL.get(finding.severity, "notice")
    properties = ",".join(
        (
            f"file={_escape_property(finding.path)}",
            f"line={finding.line}",
            f"col={finding.col}",
            f"title={_escape_property(finding.code)}",
        )
    )
    message = finding.message + (f" (instead: {finding.hint})" if finding.hint else "")
    return f"::{level} {properties}::{_escape_data(message)}"
