"""Plain records of the lint engine: rules, findings, SQL statements and revision facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manage_db.sql.pysource import PythonRevision

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What a rule is called, how bad its findings are, and what to write instead.

    Its documentation is its module's docstring (``doc``, filled in by the registry): the one
    text shown in docs/lint.md's table and by ``lint --rules-table``.
    """

    code: str
    name: str
    severity: str
    hint: str
    doc: str = ""

    @property
    def summary(self) -> str:
        """The docstring's first paragraph, on one line, without the rule's name."""
        first = self.doc.strip().split("\n\n", 1)[0]
        return " ".join(first.split()).removeprefix(f"{self.name}:").strip()


@dataclass(frozen=True, kw_only=True)
class StatementRule(Rule):
    """Looks at one SQL statement and what ran before it.

    ``phases``: where it applies; ``node_types``: the statement kinds it looks at (e.g.
    ``IndexStmt``), so the engine calls it for those only.
    """

    phases: tuple[str, ...]
    node_types: frozenset[str]
    check: Callable[[Statement, UnitState], Iterable[str]]


@dataclass(frozen=True, kw_only=True)
class RevisionRule(Rule):
    """Looks at one Python revision; yields ``(line, col, message)``."""

    check: Callable[[PythonRevision], Iterable[tuple[int, int, str]]]


@dataclass(frozen=True, kw_only=True)
class TreeRule(Rule):
    """Looks at a whole tree's facts; yields ``(path, line, col, message)``."""

    check: Callable[[TreeFacts], Iterable[tuple[str, int, int, str]]]


@dataclass(frozen=True, kw_only=True)
class EngineRule(Rule):
    """Findings the engine itself emits (parsers, offline rendering), with no check of its own."""


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
    # Lines whose noqa comments apply: the finding's and the Python call holding its SQL.
    noqa_lines: tuple[int, ...] = field(default=(), repr=False, compare=False)
    # Facts any one of which, provided by an earlier revision, makes the finding moot
    settled_by: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The finding as shown (JSON output)."""
        data = dict(self.__dict__)
        del data["noqa_lines"], data["settled_by"]
        return data

    def to_cache(self) -> dict[str, Any]:
        data = {**self.to_dict(), "noqa_lines": list(self.noqa_lines)}
        if self.settled_by:  # rare: the cache stays as small as it was
            data["settled_by"] = list(self.settled_by)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data["noqa_lines"] = tuple(data.get("noqa_lines", ()))
        data["settled_by"] = tuple(data.get("settled_by", ()))
        return cls(**data)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


class Settled(str):
    """A rule's message that an earlier revision can make moot: see ``Finding.settled_by``."""

    settled_by: tuple[str, ...] = ()

    @classmethod
    def unless(cls, message: str, *facts: str) -> Settled:
        settled = cls(message)
        settled.settled_by = facts
        return settled


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


class Constraints:
    """What a revision (or .sql file) did to CHECK and FOREIGN KEY constraints so far."""

    def __init__(self) -> None:
        # (table, constraint) -> column, for each CHECK (column IS NOT NULL) added
        self.not_null_checks: dict[tuple[str, str], str] = {}
        # (table, constraint) -> (transaction number, CONSTR_CHECK or CONSTR_FOREIGN), added
        # NOT VALID
        self.not_valid: dict[tuple[str, str], tuple[int, str]] = {}
        # (table, column) a validated CHECK (column IS NOT NULL) covers; column "" when a
        # constraint of an earlier revision was validated (what it checks is not known here)
        self.validated_not_null: set[tuple[str, str]] = set()
        # (table, constraint) validated here, added by an earlier revision
        self.validated_elsewhere: set[tuple[str, str]] = set()


class UnitState:
    """What the statements before this one did in the same revision (or .sql file)."""

    def __init__(self, in_transaction: bool = False) -> None:
        self.fresh_tables: set[str] = set()
        self.lock_timeout_set = False
        # Rules that report at most once per revision put their code here.
        self.reported: set[str] = set()
        # Entries into and exits from transaction blocks so far: two statements run in the
        # same transaction when both are in_transaction with the same number.
        self.transaction = 0
        self._in_transaction = in_transaction
        self.constraints = Constraints()
        self.indexes_created: set[str] = set()
        # Functions the unit created, by name: True when declared IMMUTABLE or STABLE
        self.functions_declared: dict[str, bool] = {}

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    @in_transaction.setter
    def in_transaction(self, value: bool) -> None:
        # BEGIN, COMMIT, an autocommit block: what follows is another transaction.
        if value != self._in_transaction:
            self.transaction += 1
        self._in_transaction = value


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
    branch_labelled: bool = False  # sets branch_labels: the root of a named branch
    # Facts its upgrade() leaves for later revisions (e.g. a validated NOT NULL check)
    provides: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["down_revisions"] = list(self.down_revisions)
        provides = data.pop("provides")
        if provides:  # rare: the cache stays as small as it was
            data["provides"] = list(provides)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RevisionFacts:
        data = dict(data)
        data["down_revisions"] = tuple(data["down_revisions"])
        data["provides"] = tuple(data.get("provides", ()))
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
    # alembic's ``file_template`` for the tree's revision files (its ini's, %-format), if set
    file_template: str | None = None
