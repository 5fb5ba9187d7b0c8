"""Trees whose databases were found at their heads with a clean history, cached per user.

For a tree (named by ``dao.tree_stamp.tree_stamp``: its files exactly as they were) this keeps
its heads and the digests of database states (``ComponentState.digest``: applied heads and last
history records) that status or the no-op upgrade found at those heads, every applied revision
recorded and unedited. The same tree and the same state give the same answer, so the next run
gives it without loading the graph or the checksums. Only a clean answer is kept: anything else is
worked out, and said, in full.
"""

from __future__ import annotations

from manage_db.dao.user_cache import CacheFile

_CACHE_FORMAT = 1
_KEEP_TREES = 64
_KEEP_STATES = 8  # per tree: a few databases (or schemas) on the same tree
_CACHE = CacheFile(f"head-verdicts-{_CACHE_FORMAT}.json")


def known_heads(tree: str) -> tuple[str, ...] | None:
    """The heads of the tree keyed ``tree``, when a clean state of it was recorded."""
    entry = _CACHE.entries().get(tree)
    if not isinstance(entry, dict) or not isinstance(entry.get("heads"), list):
        return None
    return tuple(entry["heads"])


def is_clean(tree: str, state: str) -> bool:
    """Whether the database state ``state`` was found clean at the heads of ``tree``."""
    entry = _CACHE.entries().get(tree)
    return isinstance(entry, dict) and state in (entry.get("clean") or ())


def remember_clean(tree: str, heads: tuple[str, ...], state: str) -> None:
    """Record that ``state`` is at the heads of ``tree``, recorded and unedited."""
    entries = _CACHE.entries()
    entry = entries.pop(tree, None)
    clean = [] if not isinstance(entry, dict) else list(entry.get("clean") or ())
    if state in clean:
        clean.remove(state)
    entries[tree] = {"heads": list(heads), "clean": [*clean, state][-_KEEP_STATES:]}
    _CACHE.save(_KEEP_TREES)
