"""Reading a tree's graph from its files, without importing them."""

from __future__ import annotations

import os
import time

import pytest

from manage_db.dao import revision_files
from manage_db.dao.revision_files import load_graph
from manage_db.errors import TreeError
from manage_db.revision_graph import RevisionGraph


def write_rev(versions, rev, down, body=""):
    versions.mkdir(parents=True, exist_ok=True)
    path = versions / f"{rev}_x.py"
    path.write_text(
        f'"""message of {rev}\n\nmore\n"""\nrevision = {rev!r}\ndown_revision = {down!r}\n{body}'
    )
    return path


def test_linear_tree_has_one_head_and_applies_base_first(tmp_path):
    versions = tmp_path / "versions"
    write_rev(versions, "aaa", None)
    write_rev(versions, "bbb", "aaa")
    write_rev(versions, "ccc", "bbb")
    graph = load_graph(tmp_path)
    assert graph.heads() == ("ccc",)
    assert graph.pending((), ("ccc",)) == ["aaa", "bbb", "ccc"]
    assert graph.pending(("aaa",), ("ccc",)) == ["bbb", "ccc"]
    assert graph.revisions["bbb"].message == "message of bbb"


def test_branches_and_a_multiline_merge_tuple(tmp_path):
    versions = tmp_path / "versions"
    write_rev(versions, "aaa", None)
    write_rev(versions, "bb1", "aaa")
    write_rev(versions, "bb2", "aaa")
    (versions / "mmm_merge.py").write_text(
        'revision: str = "mmm"\ndown_revision: tuple = (\n    "bb1",\n    "bb2",\n)\n'
    )
    graph = load_graph(tmp_path)
    assert graph.heads() == ("mmm",)
    assert graph.revisions["mmm"].down_revisions == ("bb1", "bb2")
    assert graph.pending(("bb2",), ("mmm",)) == ["bb1", "mmm"]
    assert graph.branch_points() == ("aaa",)
    assert graph.merge_points() == ("mmm",)
    assert not graph.has_cycle()
    (versions / "mmm_merge.py").unlink()
    assert load_graph(tmp_path).heads() == ("bb1", "bb2")


def test_prefix_resolves_and_unknown_or_ambiguous_is_an_error(tmp_path):
    versions = tmp_path / "versions"
    write_rev(versions, "abc123", None)
    write_rev(versions, "abd456", "abc123")
    graph = load_graph(tmp_path)
    assert graph.resolve("abd") == "abd456"
    with pytest.raises(TreeError, match="revision 'ab' is ambiguous"):
        graph.resolve("ab")
    with pytest.raises(TreeError, match="unknown revision 'zz'"):
        graph.resolve("zz")


def test_down_revision_naming_no_revision_is_an_error(tmp_path):
    path = write_rev(tmp_path / "versions", "aaa", "ghost")
    with pytest.raises(TreeError) as error:
        load_graph(tmp_path)
    assert str(error.value) == f"{path}: down_revision 'ghost' names no revision"


def test_duplicate_revision_id_is_an_error(tmp_path):
    versions = tmp_path / "versions"
    write_rev(versions, "aaa", None)
    (versions / "zzz_copy.py").write_text('revision = "aaa"\ndown_revision = None\n')
    with pytest.raises(TreeError, match="revision aaa is also declared in aaa_x.py"):
        load_graph(tmp_path)


def test_missing_down_revision_is_an_error(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "aaa_x.py").write_text('revision = "aaa"\n')
    with pytest.raises(TreeError, match="no module-level 'down_revision' assignment"):
        load_graph(tmp_path)


def test_cycle_is_an_error(tmp_path):
    versions = tmp_path / "versions"
    write_rev(versions, "aaa", "bbb")
    write_rev(versions, "bbb", "aaa")
    graph = load_graph(tmp_path)
    assert graph.heads() == ()
    assert graph.has_cycle()
    with pytest.raises(TreeError, match="revision cycle"):
        graph.pending((), ("aaa",))


def test_not_a_tree_is_an_error(tmp_path):
    with pytest.raises(TreeError, match="not an alembic tree"):
        load_graph(tmp_path)


def test_assignments_after_a_long_docstring_are_found(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    long_doc = "é" * 5000  # multi-byte characters across the first read's boundary
    (versions / "aaa_x.py").write_text(
        f'"""long\n\n{long_doc}\n"""\nrevision = "aaa"\ndown_revision = None\n', encoding="utf-8"
    )
    graph = load_graph(tmp_path)
    assert graph.heads() == ("aaa",)
    assert graph.revisions["aaa"].message == "long"


def test_cached_graph_sees_edited_added_and_removed_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    versions = tmp_path / "tree" / "versions"
    write_rev(versions, "aaa", None)
    write_rev(versions, "bbb", "aaa")
    assert load_graph(tmp_path / "tree").heads() == ("bbb",)
    assert list((tmp_path / "cache" / "wazo-manage-db").glob("graph-*.json"))

    write_rev(versions, "ccc", "bbb")
    assert load_graph(tmp_path / "tree").heads() == ("ccc",)
    # An edit in place that keeps the size: the mtime tells.
    path = versions / "ccc_x.py"
    path.write_text(path.read_text().replace("'bbb'", "'aaa'"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert load_graph(tmp_path / "tree").revisions["ccc"].down_revisions == ("aaa",)
    (versions / "bbb_x.py").unlink()
    assert load_graph(tmp_path / "tree").heads() == ("ccc",)
    assert set(load_graph(tmp_path / "tree").revisions) == {"aaa", "ccc"}


def test_graph_loads_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    write_rev(tmp_path / "versions", "aaa", None)
    assert load_graph(tmp_path).heads() == ("aaa",)
    assert load_graph(tmp_path).heads() == ("aaa",)


def test_the_reader_builds_the_one_graph_model(tmp_path):
    write_rev(tmp_path / "versions", "aaa", None)
    graph = load_graph(tmp_path)
    assert type(graph) is RevisionGraph
    # Other branches still import the model from the reader's module.
    assert revision_files.RevisionGraph is RevisionGraph
    assert graph.history()[0].revision == "aaa"
