"""Each revision file's checksum and whether it runs outside a transaction, cached per user.

The checksum is lint's release-manifest checksum (of the syntax tree, so reformatting or editing
comments is not an edit). A revision runs outside a transaction when its upgrade() or
downgrade() enters ``autocommit_block``. Both are cached per tree, keyed by each file's ``stat``
(``user_cache.file_key``), the one ``load_graph`` took when it did, so an unchanged tree costs
one ``stat`` per file and run; a file changed in the last seconds is not cached.
"""

from __future__ import annotations

import ast
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from manage_db.dao.revision_files import known_stat_key
from manage_db.dao.user_cache import cache_dir, file_key, read_json, settled, write_json

_CACHE_FORMAT = 2


@dataclass(frozen=True)
class FileFacts:
    """What the history needs to know about one revision file."""

    checksum: str
    autocommit_upgrade: bool = False
    autocommit_downgrade: bool = False

    def transactional(self, direction: str) -> bool:
        return not (
            self.autocommit_downgrade if direction == "downgrade" else self.autocommit_upgrade
        )


def _cache_path(script_location: Path) -> Path:
    name = hashlib.sha256(str(Path(script_location).resolve()).encode()).hexdigest()[:24]
    return cache_dir() / f"checksums-{_CACHE_FORMAT}-{name}.json"


def revision_facts(
    script_location: Path, paths: Mapping[str, Path], *, use_cache: bool = True
) -> dict[str, FileFacts]:
    """Facts of each revision (id -> file); a file that cannot be read is left out."""
    cache_path = _cache_path(script_location) if use_cache else None
    stored = read_json(cache_path) if cache_path else None
    cached = stored if isinstance(stored, dict) else {}
    fresh = dict(cached)
    facts: dict[str, FileFacts] = {}
    now = time.time_ns()
    for revision, path in paths.items():
        # The look load_graph just took at the file, when it did: one stat per file per run.
        key = known_stat_key(str(path))
        if key is None:
            try:
                key = file_key(os.stat(path))
            except OSError:
                continue
        hit = cached.get(path.name)
        if hit is not None and hit[:5] == key:
            facts[revision] = FileFacts(hit[5], hit[6], hit[7])
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        item = read_facts(source)
        facts[revision] = item
        if settled(key, now):
            fresh[path.name] = [
                *key,
                item.checksum,
                item.autocommit_upgrade,
                item.autocommit_downgrade,
            ]
        else:
            fresh.pop(path.name, None)
    if cache_path is not None and (stored is None or fresh != cached):
        write_json(cache_path, fresh)
    return facts


def read_facts(source: str) -> FileFacts:
    """Checksum and autocommit use of a revision's source."""
    # Lint's function, imported on a cache miss only: its module loads pglast.
    from manage_db.checksums import python_checksum

    checksum = python_checksum(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return FileFacts(checksum)
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return FileFacts(
        checksum,
        _enters_autocommit(functions.get("upgrade")),
        _enters_autocommit(functions.get("downgrade")),
    )


def _enters_autocommit(function: ast.AST | None) -> bool:
    if function is None:
        return False
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "autocommit_block":
                return True
    return False
