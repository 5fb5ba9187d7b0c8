"""Results of unchanged files from the previous run, keyed by content hash.

One JSON file per tree in ``$XDG_CACHE_HOME/wazo-manage-db`` (or ``~/.cache/wazo-manage-db``),
named after the tree, this tool's version, the sources of the rules, of the SQL analysis
(manage_db/sql/) and of the offline rendering (manage_db/runtime/render.py), and the Python
environment running it (its alembic and SQLAlchemy render revisions their own way). When
the directory is not writable, lint simply runs without a cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import manage_db

_FORMAT = 1


def _rules_signature() -> str:
    """Changes whenever a source file of the lint engine changes (version bumps or not)."""
    package = Path(__file__).parent
    # The environment too (its prefix): another alembic or SQLAlchemy renders revisions otherwise.
    digest = hashlib.sha256(
        f"{_FORMAT}:{manage_db.__version__}:{sys.version}:{sys.prefix}".encode()
    )
    for folder in (package, package / "rules", package.parent / "sql"):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                stat = entry.stat()
                digest.update(f"{entry.name}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    # How op.* calls are rendered offline changes results too.
    stat = (package.parent / "runtime" / "render.py").stat()
    digest.update(f"render.py:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:16]


class Cache:
    """Entries of one tree: ``{relative path: {"hash": ..., ...result}}``."""

    def __init__(self, root: Path, enabled: bool = True):
        self.entries: dict[str, dict[str, Any]] = {}
        self.path: Path | None = None
        self.dirty = False
        if not enabled:
            return
        from manage_db.dao.user_cache import cache_dir, read_json

        key = hashlib.sha256(f"{root.resolve()}:{_rules_signature()}".encode()).hexdigest()[:24]
        self.path = cache_dir() / f"lint-{key}.json"
        self.entries = read_json(self.path) or {}

    def get(self, relpath: str, content_hash: str) -> dict[str, Any] | None:
        entry = self.entries.get(relpath)
        if entry is not None and entry.get("hash") == content_hash:
            return entry
        return None

    def put(self, relpath: str, content_hash: str, data: dict[str, Any]) -> None:
        self.entries[relpath] = {"hash": content_hash, **data}
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        """Write the entries of the files still in the tree; silently skip when not writable."""
        if self.path is None:
            return
        stale = set(self.entries) - keep
        if not self.dirty and not stale:
            return
        for relpath in stale:
            del self.entries[relpath]
        from manage_db.dao.user_cache import write_json

        write_json(self.path, self.entries)
