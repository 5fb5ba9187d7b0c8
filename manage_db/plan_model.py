"""Plain records of a plan: what each pending revision would do to the live database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from manage_db.replication.model import ServerRole

WOULD_FAIL = "would fail"
RISKY = "risky"
SAFE = "safe"


@dataclass
class TableFacts:
    """A table as it is now: estimated rows, bytes, who holds it."""

    name: str
    estimated_rows: int = 0
    total_bytes: int = 0
    # Sessions holding or waiting for a lock on it: "pid 123 (app) AccessShareLock granted".
    holders: list[str] = field(default_factory=list)


@dataclass
class DataCheck:
    """A read-only check of the rows a statement would fail on."""

    kind: str  # not_null, unique, foreign_key, check, type_cast
    description: str
    failing_rows: int | None  # None: could not be checked (see error)
    sample_keys: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def fails(self) -> bool:
        return bool(self.failing_rows)


@dataclass
class StatementPlan:
    """One statement of a revision, and what it does to an existing table."""

    sql: str
    table: str | None = None
    lock: str | None = None
    rewrites: bool = False
    # WAL a rewrite writes, for the standbys to replay: about the table's size with its indexes.
    wal_bytes: int | None = None
    scans: bool = False
    checks: list[DataCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RevisionPlan:
    """A pending revision: its statements and verdict."""

    revision: str
    message: str
    verdict: str = SAFE
    statements: list[StatementPlan] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    source: str = "rendered"
    note: str | None = None


@dataclass
class ComponentPlan:
    """One component: where it is, what is pending, the tables involved."""

    component: str
    database: str
    current: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    revisions: list[RevisionPlan] = field(default_factory=list)
    tables: dict[str, TableFacts] = field(default_factory=dict)
    long_transactions: list[str] = field(default_factory=list)
    # The server the plan was read on: a primary and its standbys' lag, or a standby and its lag.
    replication: ServerRole | None = None
    error: str | None = None
    exit_code: int = 0

    @property
    def would_fail(self) -> bool:
        return self.error is not None or any(r.verdict == WOULD_FAIL for r in self.revisions)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["current"], data["heads"] = list(self.current), list(self.heads)
        data["would_fail"] = self.would_fail
        return data
