"""Installed packages' entry points of one group, cached per user while no distribution changed.

``importlib.metadata`` costs more to import and to scan every installed distribution than the
rest of ``status`` does; the cache is keyed on each ``sys.path`` directory's distributions and
the ``stat`` of their ``entry_points.txt`` (``user_cache.file_key``), so installing, removing or
editing one reads them all again, as does one changed in the last seconds. One cache file per
``sys.path``: two interpreters (or a script run from elsewhere) do not overwrite each other's.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import zlib
from typing import Any

from manage_db.dao.user_cache import cache_dir, file_key, read_json, settled, write_json

_METADATA_DIRS = (".dist-info", ".egg-info")


def group_entry_points(group: str) -> list[tuple[str, str]]:
    """``(name, "module:attribute")`` of every installed entry point of ``group``."""
    stamp = _stamp()
    path = cache_dir() / f"entry-points-{zlib.crc32(repr(sys.path).encode()):08x}.json"
    cached = read_json(path)
    groups: dict[str, Any] = {}
    if stamp is not None and isinstance(cached, dict) and cached.get("stamp") == stamp:
        groups = cached.get("groups") or {}
        if group in groups:
            return [(str(name), str(value)) for name, value in groups[group]]
    from importlib.metadata import entry_points

    points = [(point.name, point.value) for point in entry_points(group=group)]
    if stamp is not None:
        write_json(path, {"stamp": stamp, "groups": {**groups, group: points}})
    return points


def load_entry_point(value: str) -> Any:
    """The object ``module:attribute.path [extras]`` names (what ``EntryPoint.load`` returns)."""
    module_name, _, attributes = value.partition("[")[0].strip().partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        target = getattr(target, attribute)
    return target


def _stamp() -> list[list[Any]] | None:
    """What the cache is valid for; None when an ``entry_points.txt`` changed too recently."""
    now = time.time_ns()
    stamp: list[list[Any]] = []
    for directory in sys.path:
        try:
            entries = sorted(e.name for e in os.scandir(directory or "."))
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(_METADATA_DIRS):
                try:
                    key: list[int] | None = file_key(
                        os.stat(os.path.join(directory, entry, "entry_points.txt"))
                    )
                except OSError:
                    key = None
                if key is not None and not settled(key, now):
                    return None
                stamp.append([directory, entry, key])
    return stamp
