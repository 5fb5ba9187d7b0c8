"""The per-user cache directory, and JSON files in it that may or may not be there.

Everything kept there can be rebuilt: a cache that cannot be read or written is simply skipped,
and so is one this user does not own or that others may write (a ``HOME`` kept through ``sudo``).
An entry about a file is keyed by what ``stat`` says of it (:func:`file_key`), and a file changed
just before it was read is not kept at all (:func:`settled`): a second change within the same
timestamp tick could leave every field of the key as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# A file whose last change is younger than this when it is read is not cached ("racy" entries).
RACY_NS = 2_000_000_000


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wazo-manage-db"


def file_key(stat: os.stat_result) -> list[int]:
    """What must be unchanged for a cached fact about a file to hold: an edit in place changes
    the size or the mtime, a rewrite with the times put back (``cp -p``, ``touch -d``) the ctime,
    a new file the inode."""
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def settled(key: list[int], now_ns: int) -> bool:
    """Whether a fact read from the file whose :func:`file_key` is ``key`` may be cached:
    its last change is older than the racy window before ``now_ns`` (``time.time_ns()``, taken
    at the latest when the file is read)."""
    return max(key[3], key[4]) < now_ns - RACY_NS


def read_json(path: Path) -> Any:
    """The file's content, or None when it is missing, unreadable or not ours alone."""
    try:
        with open(path, encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno())
            if mode.st_uid != os.geteuid() or mode.st_mode & 0o022:
                return None
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> None:
    """Replace the file atomically (readers never see half a file); errors are ignored."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, path)
    except OSError:
        pass


class CacheFile:
    """One JSON mapping in the user's cache, read at its first use and kept for the process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, Any] | None = None

    def entries(self) -> dict[str, Any]:
        """The mapping ({} when the file is missing, unreadable or not a mapping)."""
        if self._entries is None:
            cached = read_json(cache_dir() / self.name)
            self._entries = cached if isinstance(cached, dict) else {}
        return self._entries

    def save(self, keep: int) -> None:
        """Write the mapping back, its ``keep`` newest entries only (insertion order)."""
        entries = self.entries()
        for old in list(entries)[:-keep]:
            del entries[old]
        write_json(cache_dir() / self.name, entries)

    def forget(self) -> None:
        """Read the file again at the next use (as a new process would)."""
        self._entries = None
