"""Differences between two schema snapshots, each naming the object and the property."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from manage_db.dao.snapshot import Snapshot

MISSING = "missing"  # in the expected snapshot, not in the actual one
EXTRA = "extra"  # in the actual snapshot, not in the expected one
CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    """One object, or one property of an object, that is not what was expected.

    ``path`` walks into the object's properties, e.g. ``("columns", "email", "default")``.
    """

    kind: str
    name: str
    change: str  # MISSING, EXTRA or CHANGED
    path: tuple[str, ...] = ()
    expected: Any = None
    actual: Any = None

    @property
    def object(self) -> str:
        """How messages name the object: ``index public.users_email_idx``."""
        return f"{self.kind} {self.name}"

    @property
    def location(self) -> str:
        """The object and the property: ``table public.users: column email default``."""
        if not self.path:
            return self.object
        return f"{self.object}: {_describe_path(self.path)}"

    def __str__(self) -> str:
        where = self.location
        if self.change == CHANGED:
            return f"{where}: expected {_show(self.expected)}, found {_show(self.actual)}"
        return f"{where}: {self.change}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "object": self.object,
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "property": "/".join(self.path) or None,
            "expected": self.expected,
            "actual": self.actual,
        }


def diff_snapshots(
    expected: Snapshot, actual: Snapshot, *, ignore: Collection[str] = ()
) -> list[Difference]:
    """Every object or property of ``expected`` that ``actual`` lacks, adds or changes.

    ``ignore``: property names skipped at every depth (e.g. ``owner`` and ``acl`` when the two
    databases belong to different roles).  Sorted by object, then property.
    """
    differences: list[Difference] = []
    for key in sorted(set(expected.digests) | set(actual.digests)):
        kind, name = key
        if key not in actual.digests:
            differences.append(Difference(kind, name, MISSING))
        elif key not in expected.digests:
            differences.append(Difference(kind, name, EXTRA))
        elif expected.digests[key] != actual.digests[key]:
            _diff_properties(
                kind,
                name,
                (),
                expected.properties[key],
                actual.properties[key],
                ignore,
                differences,
            )
    return differences


def _diff_properties(
    kind: str,
    name: str,
    path: tuple[str, ...],
    expected: Any,
    actual: Any,
    ignore: Collection[str],
    out: list[Difference],
) -> None:
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for prop in sorted(set(expected) | set(actual), key=str):
            if prop in ignore:
                continue
            sub = (*path, str(prop))
            if prop not in actual:
                out.append(Difference(kind, name, MISSING, sub, expected[prop], None))
            elif prop not in expected:
                out.append(Difference(kind, name, EXTRA, sub, None, actual[prop]))
            else:
                _diff_properties(kind, name, sub, expected[prop], actual[prop], ignore, out)
    elif expected != actual:
        # A nested map that appears or vanishes as a whole (the first trigger of a table).
        if isinstance(expected, Mapping) and actual is None:
            for prop in sorted(expected, key=str):
                out.append(Difference(kind, name, MISSING, (*path, str(prop)), expected[prop]))
        elif isinstance(actual, Mapping) and expected is None:
            for prop in sorted(actual, key=str):
                out.append(Difference(kind, name, EXTRA, (*path, str(prop)), None, actual[prop]))
        else:
            out.append(Difference(kind, name, CHANGED, path, expected, actual))


# Property maps whose keys are names of sub-objects: "columns/email/default" reads
# "column email default".
_NAMED_CHILDREN = {
    "columns": "column",
    "constraints": "constraint",
    "triggers": "trigger",
    "policies": "policy",
    "rules": "rule",
}


def _describe_path(path: tuple[str, ...]) -> str:
    words: list[str] = []
    index = 0
    while index < len(path):
        part = path[index]
        if part in _NAMED_CHILDREN and index + 1 < len(path):
            words.append(f"{_NAMED_CHILDREN[part]} {path[index + 1]}")
            index += 2
        else:
            words.append(part)
            index += 1
    return " ".join(words)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        text = " ".join(value.split())
        return repr(text if len(text) <= 120 else text[:117] + "...")
    return repr(value)
