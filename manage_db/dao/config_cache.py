"""What each configuration file holds, cached per user while the file is unchanged.

Reading the YAML costs more than the rest of ``status`` once the interpreter is up (the parser's
import compiles regular expressions); the data of a file whose ``stat`` key (device, inode, size,
mtime, ctime) is the one recorded is taken from one JSON file instead. A file changed within the
last seconds is read again at every run until it settles, and data JSON cannot carry exactly (a
date, a set, a non-string key) is never cached.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from manage_db.dao.user_cache import CacheFile, file_key, settled

_CACHE_FORMAT = 1
_KEEP = 64  # entries kept: the config files last read, newest last
_CACHE = CacheFile(f"config-{_CACHE_FORMAT}.json")


def cached_data(path: Path, read: Callable[[Path], Any]) -> Any:
    """``read(path)``, or what it returned last time when the file has not changed since."""
    now = time.time_ns()
    try:
        key = file_key(os.stat(path))
    except OSError:
        return read(path)  # it says why
    entries = _CACHE.entries()
    name = str(Path(path).absolute())
    hit = entries.get(name)
    if isinstance(hit, list) and len(hit) == 2 and hit[0] == key:
        return hit[1]
    data = read(path)
    if settled(key, now) and _exact_in_json(data):
        entries.pop(name, None)
        entries[name] = [key, data]
        _CACHE.save(_KEEP)
    return data


def _exact_in_json(data: Any) -> bool:
    """JSON gives back exactly ``data`` (YAML's dates, sets and integer keys it would not)."""
    try:
        return bool(json.loads(json.dumps(data, allow_nan=False)) == data)
    except (TypeError, ValueError):
        return False
