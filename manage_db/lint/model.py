"""Plain records of the lint engine: rules, findings, SQL statements and revision facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Rule:
    """What a rule is called, how bad its findings are, why it exists and what to write instead."""

    code: str
    name: str
    severity: str
    reason: str
    hint: str


@dataclass
class Finding:
    """One problem at one place. ``path`` is as the user named it (relative when possible)."""

    path: str
    line: int
    col: int
    code: str
    severity: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


@dataclass
class Statement:
    """One parsed SQL statement, where it runs, and how to find it in its file.

    ``phase`` is ``upgrade``, ``downgrade``, ``module`` (constants, helpers) or ``sql`` (a .sql
    file). ``locate`` gives the 1-based (line, column); it is only called for findings.
    ``anchor_lines`` are the lines whose ``noqa`` comments apply (the Python call around it).
    ``quiet`` statements only feed the state (their findings belong to a .sql file).
    """

    node: Any
    phase: str
    locate: Callable[[], tuple[int, int]]
    anchor_lines: range = range(0)
    quiet: bool = False


@dataclass
class UnitState:
    """What the statements before this one did in the same revision (or .sql file)."""

    fresh_tables: set[str] = field(default_factory=set)
    in_transaction: bool = False
    lock_timeout_set: bool = False
    # Rules that report at most once per revision put their code here.
    reported: set[str] = field(default_factory=set)


@dataclass
class RevisionFacts:
    """What the history and release rules need from one file, cached with its findings."""

    path: str  # relative to the tree root
    kind: str  # "revision" or "sql"
    # Of the syntax tree (Python) or the text (SQL); "" until a release manifest needs it.
    checksum: str
    revision: str | None = None
    has_revision: bool = False
    down_revisions: tuple[str, ...] = ()
    has_down_revision: bool = False
    revision_line: int = 1
    down_revision_line: int = 1
    # Revisions: whether lint saw what upgrade()'s op.* calls do (rendered or read from source)
    ops_seen: bool = True

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["down_revisions"] = list(self.down_revisions)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RevisionFacts:
        data = dict(data)
        data["down_revisions"] = tuple(data["down_revisions"])
        return cls(**data)


@dataclass
class ReleasedEntry:
    """One line of the release manifest: a revision (or SQL file) and its checksum."""

    key: str  # revision id, or the path of a .sql file relative to the tree
    checksum: str
    path: str
    line: int


@dataclass
class TreeFacts:
    """What tree-wide rules see: every file's facts and the release manifest, if any."""

    revisions: list[RevisionFacts]
    manifest_path: str
    released: list[ReleasedEntry] | None = None
