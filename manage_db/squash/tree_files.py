"""The tree's files a squash reads, writes and removes (no logic: the service decides).

A squash's changes are a :class:`TreeChange`: texts to write and files to remove, by path
relative to the script location. It is applied first to a copy of the tree (the proof builds
from that copy), then, once proved, to the tree itself: new files are written before old ones
are removed, each through a temporary file renamed into place.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from manage_db.dao.tree_stamp import revision_names, versions_dir


@dataclass
class TreeChange:
    """Files to write (relative path -> text) and to remove (relative paths)."""

    writes: dict[str, str] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)

    def apply(self, script_location: Path) -> None:
        """Write, then remove, under ``script_location``."""
        for relative, text in self.writes.items():
            path = script_location / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.squash-tmp")
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(temporary, path)
        for relative in self.removes:
            if relative not in self.writes:
                (script_location / relative).unlink(missing_ok=True)
        shutil.rmtree(versions_dir(script_location) / "__pycache__", ignore_errors=True)


def copy_tree(script_location: Path, destination: Path) -> Path:
    """A copy of the tree (and of the ``alembic.ini`` beside it) under ``destination``; returns
    the copy's script location."""
    script_location = Path(script_location)
    copy = destination / script_location.parent.name / script_location.name
    shutil.copytree(script_location, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    ini = script_location.parent / "alembic.ini"
    if ini.is_file():
        shutil.copy2(ini, copy.parent / "alembic.ini")
    return copy


def read_text(path: Path) -> str | None:
    """A file's text, None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def sql_files(script_location: Path) -> list[str]:
    """The ``.sql`` files of the tree (``sql/`` and ``versions/``), relative paths, sorted."""
    found: list[str] = []
    for folder in ("sql", "versions"):
        directory = Path(script_location) / folder
        if directory.is_dir():
            found.extend(f"{folder}/{p.name}" for p in directory.glob("*.sql"))
    return sorted(found)


def dump_folder(script_location: Path) -> str:
    """Where the tree keeps its SQL dumps: ``sql/`` when it has one, else ``versions/``."""
    return "sql" if (Path(script_location) / "sql").is_dir() else "versions"


def revision_file_names(script_location: Path) -> list[str]:
    """The revision files' names in ``versions/``."""
    return revision_names(versions_dir(Path(script_location)))
