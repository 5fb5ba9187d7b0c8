"""Plain records of a squash: what was found per install, what differs, what was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UUID = "uuid"
TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class PerInstallValue:
    """A value the history generates at upgrade time (two builds disagree on it).

    ``placeholder`` stands for it in the dump; the baseline puts a fresh value there (the same
    one wherever the placeholder appears): a new UUID, or the transaction's ``now()``.
    """

    placeholder: str
    kind: str  # UUID or TIMESTAMP
    where: str  # the first table.column it was found in

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"placeholder": self.placeholder, "kind": self.kind, "where": self.where}


@dataclass(frozen=True)
class TableRows:
    """The rows of one table as text (None for NULL), in the order given by the reader."""

    name: str  # schema-qualified
    columns: tuple[str, ...]  # the columns an INSERT gives (not generated ones)
    types: tuple[str, ...]
    identity_always: bool  # an INSERT of these rows needs OVERRIDING SYSTEM VALUE
    rows: tuple[tuple[str | None, ...], ...]


@dataclass(frozen=True)
class BuiltState:
    """What the proof compares of one built database besides its catalog snapshot."""

    column_order: dict[str, tuple[str, ...]]
    sequences: dict[str, tuple[int, bool]]
    tables: dict[str, TableRows]


@dataclass(frozen=True)
class FloorEntry:
    """One squashed revision: the baseline that replaced it and the release it came with."""

    revision: str
    baseline: str
    release: str | None


@dataclass
class SquashReport:
    """What one squash did (or would have done, when the proof failed)."""

    component: str
    revision: str
    release: str | None
    squashed: list[str] = field(default_factory=list)
    baseline_file: Path | None = None
    dump_file: Path | None = None
    extensions: list[str] = field(default_factory=list)
    per_install: list[PerInstallValue] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    removed_files: list[Path] = field(default_factory=list)
    written: bool = False

    @property
    def proved(self) -> bool:
        """True when the new tree gave the same databases as the old history."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "component": self.component,
            "revision": self.revision,
            "release": self.release,
            "proved": self.proved,
            "written": self.written,
            "squashed": self.squashed,
            "baseline_file": str(self.baseline_file) if self.baseline_file else None,
            "dump_file": str(self.dump_file) if self.dump_file else None,
            "removed_files": [str(p) for p in self.removed_files],
            "extensions": self.extensions,
            "per_install": [v.to_dict() for v in self.per_install],
            "differences": self.differences,
        }
