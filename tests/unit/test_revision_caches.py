"""The revision graph and checksum caches, and the tree stamp: an edit in place is always seen."""

from __future__ import annotations

import os

import pytest

from manage_db.dao import user_cache
from manage_db.dao.revision_checksums import revision_facts
from manage_db.dao.revision_files import load_graph
from manage_db.dao.tree_stamp import tree_stamp


@pytest.fixture
def settled(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(user_cache, "RACY_NS", 0)  # files written a moment ago count as settled


def write_rev(location, rev, down, body="pass"):
    versions = location / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    path = versions / f"{rev}_x.py"
    path.write_text(
        f'"""m {rev}"""\nrevision = {rev!r}\ndown_revision = {down!r}\n\n\n'
        f"def upgrade():\n    {body}\n"
    )
    return path


def edit_keeping_size_and_times(path, old, new):
    """Only the ctime tells (as ``cp -p`` over the file, or an editor that restores times)."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_cached_graph_sees_an_edit_that_keeps_size_and_mtime(tmp_path, settled):
    write_rev(tmp_path, "aaa", None)
    path = write_rev(tmp_path, "bbb", "aaa")
    write_rev(tmp_path, "ccc", None)
    assert load_graph(tmp_path).revisions["bbb"].down_revisions == ("aaa",)
    assert load_graph(tmp_path).revisions["bbb"].down_revisions == ("aaa",)  # cached
    edit_keeping_size_and_times(path, "'aaa'", "'ccc'")
    assert load_graph(tmp_path).revisions["bbb"].down_revisions == ("ccc",)


def test_a_cached_checksum_sees_an_edit_that_keeps_size_and_mtime(tmp_path, settled):
    path = write_rev(tmp_path, "aaa", None, "x = 1")
    first = revision_facts(tmp_path, {"aaa": path})["aaa"].checksum
    assert revision_facts(tmp_path, {"aaa": path})["aaa"].checksum == first
    edit_keeping_size_and_times(path, "x = 1", "x = 2")
    assert load_graph(tmp_path).heads() == ("aaa",)  # its look at the file is shared
    assert revision_facts(tmp_path, {"aaa": path})["aaa"].checksum != first


def test_the_tree_stamp_changes_with_any_file(tmp_path, settled):
    path = write_rev(tmp_path, "aaa", None, "x = 1")
    stamp = tree_stamp(tmp_path)
    assert stamp is not None and tree_stamp(tmp_path) == stamp
    edit_keeping_size_and_times(path, "x = 1", "x = 2")
    edited = tree_stamp(tmp_path)
    assert edited not in (None, stamp)
    write_rev(tmp_path, "bbb", "aaa")
    assert tree_stamp(tmp_path) not in (None, stamp, edited)
    (tmp_path / "versions" / "bbb_x.py").unlink()
    assert tree_stamp(tmp_path) == edited


def test_files_changed_in_the_last_seconds_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = write_rev(tmp_path, "aaa", None, "x = 1")
    assert tree_stamp(tmp_path) is None  # no verdict for a tree still being written
    first = revision_facts(tmp_path, {"aaa": path})["aaa"].checksum
    path.write_text(path.read_text().replace("x = 1", "x = 2"))  # same tick, same size
    assert revision_facts(tmp_path, {"aaa": path})["aaa"].checksum != first
    assert load_graph(tmp_path).heads() == ("aaa",)
    assert (
        not list((tmp_path / "cache" / "wazo-manage-db").glob("graph-*.json"))[0]
        .read_text(encoding="utf-8")
        .count("aaa")
    )
