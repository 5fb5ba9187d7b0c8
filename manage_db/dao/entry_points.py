"""Installed packages' entry points of one group, cached per user while no distribution changed.

``importlib.metadata`` costs more to import and to scan every installed distribution than the
rest of ``status`` does; the cache is keyed on each ``sys.path`` directory's distributions and
the modification times of their ``entry_points.txt``, so installing, removing or editing one
reads them all again.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from manage_db.dao.user_cache import cache_dir, read_json, write_json

_METADATA_DIRS = (".dist-info", ".egg-info")


def group_entry_points(group: str) -> list[tuple[str, str]]:
    """``(name, "module:attribute")`` of every installed entry point of ``group``."""
    stamp = _stamp()
    path = cache_dir() / "entry-points.json"
    cached = read_json(path)
    groups: dict[str, Any] = {}
    if isinstance(cached, dict) and cached.get("stamp") == stamp:
        groups = cached.get("groups") or {}
        if group in groups:
            return [(str(name), str(value)) for name, value in groups[group]]
    from importlib.metadata import entry_points

    points = [(point.name, point.value) for point in entry_points(group=group)]
    write_json(path, {"stamp": stamp, "groups": {**groups, group: points}})
    return points


def load_entry_point(value: str) -> Any:
    """The object ``module:attribute.path [extras]`` names (what ``EntryPoint.load`` returns)."""
    module_name, _, attributes = value.partition("[")[0].strip().partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        target = getattr(target, attribute)
    return target


def _stamp() -> list[list[Any]]:
    stamp: list[list[Any]] = []
    for directory in sys.path:
        try:
            entries = sorted(e.name for e in os.scandir(directory or "."))
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(_METADATA_DIRS):
                try:
                    mtime = os.stat(os.path.join(directory, entry, "entry_points.txt")).st_mtime_ns
                except OSError:
                    mtime = None
                stamp.append([directory, entry, mtime])
    return stamp
