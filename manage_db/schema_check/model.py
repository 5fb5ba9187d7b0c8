"""The reports of check-models and drift: plain records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manage_db.services.schema_diff import Difference


@dataclass(frozen=True)
class SchemaReport:
    """One comparison: ``expected`` (what ``expected_label`` says) against ``actual``.

    check-models: the models (expected) against the migrations' head (actual); drift: the history
    at the database's revisions (expected) against the live database (actual).
    """

    component: str
    expected_label: str
    actual_label: str
    differences: tuple[Difference, ...] = ()
    revisions: tuple[str, ...] = ()  # drift: where the live database is; check-models: the heads
    source: str | None = None  # check-models: the MODULE:ATTR compared

    @property
    def clean(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "component": self.component,
            "clean": self.clean,
            "expected": self.expected_label,
            "actual": self.actual_label,
            "revisions": list(self.revisions),
            "source": self.source,
            "differences": [d.to_dict() for d in self.differences],
        }
