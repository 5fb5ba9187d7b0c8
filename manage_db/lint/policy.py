"""The one place where what the user asked for is applied to rules' findings.

Rules and the engine report everything they see; here, and only here, ``noqa`` comments,
``lint.ignore`` (and ``--ignore``) and severity overrides (``lint.downgrade_severity``) decide
what is shown and how bad it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from manage_db.lint.config import LintSettings
from manage_db.lint.model import Finding
from manage_db.lint.suppressions import Suppressions

_NONE = Suppressions()


def apply_policy(
    findings: Iterable[Finding], suppressions: Mapping[str, Suppressions], settings: LintSettings
) -> Iterator[Finding]:
    """The findings left after noqa comments (by file) and settings, with their severity."""
    for finding in findings:
        if finding.code in settings.ignore:
            continue
        lines = finding.noqa_lines or (finding.line,)
        if suppressions.get(finding.path, _NONE).suppressed(finding.code, lines):
            continue
        finding.severity = settings.severity.get(finding.code, finding.severity)
        yield finding
