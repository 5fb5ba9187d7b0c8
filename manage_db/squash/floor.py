"""The floor: the revisions a squash removed, recorded in the tree, and the refusal of a database
still at one of them.

The file ``squashed-revisions.txt`` sits in the tree's script location, beside lint's release
manifest: one line per squashed revision, ``<revision> <baseline> [<release>]``; ``#`` starts
a comment. ``status`` and ``upgrade`` read it only when a database is at a revision the tree
does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from manage_db.errors import BelowBaseline

if TYPE_CHECKING:  # loaded by read_floor only when a tree has a floor (upgrade's start-up)
    from manage_db.squash.model import FloorEntry

FLOOR_FILE = "squashed-revisions.txt"
HEADER = (
    "# Revisions squashed into a baseline: a database still at one of them must first be\n"
    "# upgraded with a release before that baseline. Written by `wazo-manage-db squash`.\n"
    "# <squashed revision> <baseline revision> [<release>]\n"
)


def floor_path(script_location: Path) -> Path:
    """Where a tree records its squashed revisions."""
    return Path(script_location) / FLOOR_FILE


def read_floor(script_location: Path) -> dict[str, FloorEntry]:
    """The squashed revisions of a tree, by id (empty when it never was squashed)."""
    try:
        text = floor_path(script_location).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    from manage_db.squash.model import FloorEntry

    entries: dict[str, FloorEntry] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            entries[words[0]] = FloorEntry(words[0], words[1], words[2] if len(words) > 2 else None)
    return entries


def squash_baselines(script_location: Path) -> set[str]:
    """The baselines squashes wrote in this tree (their file replaced an applied revision's)."""
    return {entry.baseline for entry in read_floor(script_location).values()}


def floor_text(existing: str | None, entries: Iterable[FloorEntry]) -> str:
    """The floor file's text with ``entries`` appended (to ``existing``, or to a new header)."""
    text = existing if existing else HEADER
    if not text.endswith("\n"):
        text += "\n"
    for entry in entries:
        text += f"{entry.revision} {entry.baseline}"
        text += f" {entry.release}\n" if entry.release else "\n"
    return text


def check_floor(
    component: str, script_location: Path, known: Iterable[str], current: Iterable[str]
) -> None:
    """BelowBaseline (exit 8) when the database is at a revision squashed away from the tree.

    ``known``: the tree's revision ids; the file is read only for a revision not among them.
    """
    known = set(known)
    unknown = [rev for rev in current if rev not in known]
    if not unknown:
        return
    floor = read_floor(script_location)
    for rev in unknown:
        entry = floor.get(rev)
        if entry is not None:
            raise BelowBaseline(below_baseline_message(component, entry))


def below_baseline_message(component: str, entry: FloorEntry) -> str:
    """One line: the database is older than the baseline, and what to do."""
    release = f" (release {entry.release})" if entry.release else ""
    before = f"a release before {entry.release}" if entry.release else "a release before it"
    return (
        f"{component}: the database is at revision {entry.revision}, older than the baseline "
        f"{entry.baseline}{release} that replaced it: upgrade it first with {before}; "
        "nothing was changed"
    )
