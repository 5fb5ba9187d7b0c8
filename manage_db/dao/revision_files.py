"""Read a tree's revision graph from its files without importing them (the model: revision_graph).

``alembic current`` imports every revision module to learn the graph (about half a second at
1,000 revisions); status only needs each file's ``revision`` and ``down_revision``, which are
literal assignments at module level. Lines are read as text and the right-hand side evaluated with
``ast.literal_eval``; a file whose assignments span several lines is parsed whole with ``ast``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import time
from pathlib import Path

from manage_db.dao.tree_stamp import revision_names, tree_stamp, versions_dir
from manage_db.dao.user_cache import cache_dir, file_key, read_json, settled, write_json
from manage_db.errors import TreeError
from manage_db.revision_graph import RevisionFile, RevisionGraph

__all__ = [
    "RevisionFile",
    "RevisionGraph",
    "load_graph",
    "read_revision_file",
    "tree_stamp",
    "versions_dir",
]

_KEYS = ("revision", "down_revision")
_HEAD_BYTES = 4096
_CACHE_FORMAT = 2


def _graph_cache_path(directory: Path) -> Path:
    name = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:24]
    return cache_dir() / f"graph-{_CACHE_FORMAT}-{name}.json"


def load_graph(script_location: Path, *, use_cache: bool = True) -> RevisionGraph:
    """Read every revision file of a tree. TreeError when a file declares no revision.

    What each file declares is cached per user, keyed by the file's ``stat``
    (``user_cache.file_key``: an edit in place changes it), so an unchanged tree costs one
    ``stat`` per file instead of a read; a file changed in the last seconds is not cached.
    """
    script_location = Path(script_location)
    directory = versions_dir(script_location)
    if not directory.is_dir():
        raise TreeError(f"{script_location}: not an alembic tree (no versions/ directory)")
    cache_path = _graph_cache_path(directory) if use_cache else None
    stored = read_json(cache_path) if cache_path else None
    cached = stored if isinstance(stored, dict) else {}
    fresh: dict[str, list] = {}
    graph = RevisionGraph(script_location)
    names = revision_names(directory)
    base = str(directory)
    now = time.time_ns()
    for name in names:
        path = directory / name
        key = _stat_key(f"{base}/{name}")
        hit = cached.get(name)
        if hit is not None and hit[:5] == key:
            rev = RevisionFile(hit[5], tuple(hit[6]), path, hit[7])
        else:
            rev = read_revision_file(path)
        if settled(key, now):
            fresh[name] = [*key, rev.revision, list(rev.down_revisions), rev.message]
        other = graph.revisions.get(rev.revision)
        if other is not None:
            raise TreeError(
                f"{path}: revision {rev.revision} is also declared in {other.path.name}"
            )
        graph.revisions[rev.revision] = rev
    if cache_path is not None and (stored is None or fresh != cached):
        write_json(cache_path, fresh)
    for rev in graph.revisions.values():
        for parent in rev.down_revisions:
            if parent not in graph.revisions:
                raise TreeError(f"{rev.path}: down_revision '{parent}' names no revision")
    return graph


# The stat keys load_graph took in this process, by path: the checksum cache
# (dao/revision_checksums.py) checks its entries against the same look at each file.
_stat_keys: dict[str, list[int]] = {}


def _stat_key(path: str) -> list[int]:
    try:
        key = file_key(os.stat(path))
    except OSError as error:
        raise TreeError(f"{path}: cannot read: {error}") from error
    _stat_keys[path] = key
    return key


def known_stat_key(path: str) -> list[int] | None:
    """The stat key ``load_graph`` took of ``path`` in this process, if it did."""
    return _stat_keys.get(path)


def read_revision_file(path: Path) -> RevisionFile:
    """The revision id, parents and message a revision file declares."""
    try:
        # The assignments sit near the top: the head of the file usually suffices.
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
            whole = len(data) < _HEAD_BYTES
            # Cut at a line end: a newline byte never sits inside a multi-byte character.
            text = (data if whole else data[: data.rfind(b"\n") + 1]).decode("utf-8")
            values = _scan_lines(text)
            if values is None and not whole:
                text = (data + handle.read()).decode("utf-8")
                values = _scan_lines(text)
    except (OSError, UnicodeDecodeError) as error:
        raise TreeError(f"{path}: cannot read: {error}") from error
    if values is None:
        values = _scan_ast(text, path)
    if "revision" not in values or "down_revision" not in values:
        missing = "revision" if "revision" not in values else "down_revision"
        raise TreeError(f"{path}: no module-level '{missing}' assignment")
    revision, down = values["revision"], values["down_revision"]
    if not isinstance(revision, str):
        raise TreeError(f"{path}: revision must be a string")
    if down is None:
        downs: tuple[str, ...] = ()
    elif isinstance(down, str):
        downs = (down,)
    elif isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
        downs = tuple(down)
    else:
        raise TreeError(f"{path}: down_revision must be a string, a tuple of strings or None")
    return RevisionFile(revision, downs, path, _message(text))


def _scan_lines(text: str) -> dict[str, object] | None:
    """Fast path: ``name = literal`` (optionally annotated) on one line; None when unsure."""
    values: dict[str, object] = {}
    for line in text.splitlines():
        if len(values) == len(_KEYS):
            break
        if not line.startswith(_KEYS):
            continue
        name, sep, rhs = line.partition("=")
        key = name.split(":", 1)[0].strip()
        if key not in _KEYS or not sep or rhs.startswith("="):
            continue
        try:
            values[key] = ast.literal_eval(rhs.split("#", 1)[0].strip())
        except (ValueError, SyntaxError):
            return None
    return values if len(values) == len(_KEYS) else None


def _scan_ast(text: str, path: Path) -> dict[str, object]:
    try:
        tree = ast.parse(text, str(path))
    except SyntaxError as error:
        raise TreeError(f"{path}:{error.lineno}: syntax error: {error.msg}") from error
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in _KEYS:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError as error:
                raise TreeError(f"{path}:{node.lineno}: {target.id} is not a literal") from error
    return values


def _message(text: str) -> str:
    """First line of the module docstring, as alembic's template writes the message there."""
    stripped = text.lstrip()
    for quote in ('"""', "'''"):
        if stripped.startswith(quote):
            return stripped[3:].split("\n", 1)[0].strip().rstrip(quote).strip()
    return ""
