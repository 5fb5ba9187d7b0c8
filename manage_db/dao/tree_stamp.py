"""Which files of a tree are revisions, and a stamp of them that changes whenever one does.

A module of its own, importing no graph model: status and the no-op upgrade stamp the tree at
every run and load the graph only when no cached answer fits the stamp.
"""

from __future__ import annotations

import array
import hashlib
import os
import time
from pathlib import Path

from manage_db.dao import user_cache


def versions_dir(script_location: Path) -> Path:
    return Path(script_location) / "versions"


def revision_names(directory: Path) -> list[str]:
    """The revision files of a versions directory, sorted."""
    return sorted(
        name
        for name in os.listdir(directory)
        if name.endswith(".py") and not name.startswith(("_", "."))
    )


def tree_stamp(script_location: Path) -> str | None:
    """A digest of what ``revision_files.load_graph`` reads (every revision file's name and
    ``stat`` key, ``user_cache.file_key``): equal stamps, equal graphs and checksums. None when a
    file changed in the last seconds (its key may not show a second change yet) or the
    directory cannot be read."""
    directory = versions_dir(Path(script_location))
    base = str(directory)
    now = time.time_ns()
    keys = array.array("q")  # file_key's five numbers per file, in name order
    try:
        names = revision_names(directory)
        for name in names:
            stat = os.stat(f"{base}/{name}")
            keys.extend(
                (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
            )
    except (OSError, OverflowError):
        return None
    if names and max(max(keys[3::5]), max(keys[4::5])) >= now - user_cache.RACY_NS:
        return None
    digest = hashlib.sha256("\0".join(names).encode())
    digest.update(keys.tobytes())
    return digest.hexdigest()
