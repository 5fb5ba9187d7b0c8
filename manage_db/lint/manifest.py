"""The release manifest: a text file in the tree listing each released revision's checksum.

One line per revision or SQL file: ``<key> <sha256> <path>``, where key is the revision id (or
the path, for a .sql file). ``#`` starts a comment. The checksum of a Python revision covers its
syntax tree, so reformatting or editing comments does not count as a change.
"""

from __future__ import annotations

from pathlib import Path

from manage_db.lint.model import ReleasedEntry, RevisionFacts

DEFAULT_NAME = "released-revisions.txt"
HEADER = (
    "# Released revisions of this tree and their checksums: lint fails when one changes.\n"
    "# Append new ones with `wazo-manage-db release`; never edit a line by hand.\n"
)


def read(path: Path) -> list[ReleasedEntry] | None:
    """The manifest's entries, or None when the tree has no manifest (nothing released yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if len(words) >= 3:
            entries.append(ReleasedEntry(words[0], words[1], words[2], number))
    return entries


def record(path: Path, revisions: list[RevisionFacts]) -> list[ReleasedEntry]:
    """Append every file not yet in the manifest; returns what was added."""
    existing = read(path) or []
    known = {entry.key for entry in existing}
    added = []
    for facts in revisions:
        key = facts.revision if facts.kind == "revision" else facts.path
        if key is None or key in known:
            continue
        known.add(key)
        added.append(ReleasedEntry(key, facts.checksum, facts.path, 0))
    if added:
        text = path.read_text(encoding="utf-8") if existing or path.exists() else HEADER
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(f"{e.key} {e.checksum} {e.path}\n" for e in added)
        path.write_text(text, encoding="utf-8")
    return added
