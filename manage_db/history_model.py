"""Plain records of the applied history: one row of ``<version_table>_history``, one drift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What a history row says happened to its revision.
UPGRADE, DOWNGRADE, STAMP, UNSTAMP, ADOPT, REPAIR = (
    "upgrade",
    "downgrade",
    "stamp",
    "unstamp",
    "adopt",
    "repair",
)
# The directions after which the revision counts as applied.
APPLYING = frozenset({UPGRADE, STAMP, ADOPT, REPAIR})
OK, FAILED, RUNNING = "ok", "failed", "running"

EDITED, MISSING, INTERRUPTED = "edited", "missing", "interrupted"


@dataclass(frozen=True)
class HistoryEntry:
    """One revision applied, reverted, stamped, adopted or repaired."""

    id: int
    revision: str
    direction: str
    started_at: datetime
    duration: float | None  # seconds; None while a non-transactional revision runs
    checksum: str | None
    transactional: bool
    db_role: str
    os_user: str
    host: str
    tool_version: str
    outcome: str  # ok, failed, running
    error: str | None = None


@dataclass(frozen=True)
class LastRecord:
    """The newest row of a revision that did not fail: what the history believes about it."""

    direction: str
    checksum: str | None
    outcome: str


@dataclass(frozen=True)
class Drift:
    """An applied revision the tree no longer agrees with."""

    revision: str
    kind: str  # edited, missing, interrupted
    detail: str = ""

    def describe(self) -> str:
        what = {
            EDITED: "edited since it was applied",
            MISSING: "applied but missing from the tree",
            INTERRUPTED: "interrupted (non-transactional, partial work may remain)",
        }[self.kind]
        return f"{self.revision} {what}{f' ({self.detail})' if self.detail else ''}"
