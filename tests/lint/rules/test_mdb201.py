"""MDB201: its findings, and what it leaves alone."""

from __future__ import annotations

from tests.lint.conftest import only, position_of


def test_linear_history_is_clean(tree):
    tree.revision("a1", None)
    tree.revision("b2", "a1")
    tree.revision("c3", "b2")
    assert tree.codes() == []


def test_two_heads_are_an_error_on_each_head(tree):
    tree.revision("a1", None)
    tree.revision("b2", "a1")
    tree.revision("c3", "a1")
    findings = only(tree.lint(), "MDB201")
    assert [f.path.split("/")[-1] for f in findings] == ["b2_change.py", "c3_change.py"]
    assert all("several heads" in f.message and f.severity == "error" for f in findings)


def test_a_merge_revision_joins_heads(tree):
    tree.revision("a1", None)
    tree.revision("b2", "a1")
    tree.revision("c3", "a1")
    tree.revision("d4", ("b2", "c3"))
    assert tree.codes() == []


def test_down_revision_naming_no_revision_is_an_error(tree):
    path = tree.revision("b2", "zz")
    (finding,) = only(tree.lint(), "MDB201")
    assert "zz names no revision" in finding.message
    assert finding.line == position_of(path, "down_revision =")[0]


def test_duplicate_revision_ids_are_an_error(tree):
    tree.revision("a1", None)
    tree.revision("a1", None, filename="a1_again.py")
    assert any("duplicate revision id a1" in f.message for f in only(tree.lint(), "MDB201"))


def test_a_cycle_is_an_error(tree):
    tree.revision("a1", "c3")
    tree.revision("b2", "a1")
    tree.revision("c3", "b2")
    assert any(f.message.startswith("cycle:") for f in only(tree.lint(), "MDB201"))


def test_file_not_named_after_its_revision_is_an_error(tree):
    tree.revision("a1", None, filename="add_foo.py")
    (finding,) = only(tree.lint(), "MDB201")
    assert "file name does not start with its revision id a1" in finding.message


def test_missing_revision_or_down_revision_is_an_error(tree):
    tree.write("versions/x1_helpers.py", "from alembic import op\n")
    tree.write("versions/b2_nodown.py", "revision = 'b2'\n\ndef upgrade():\n    pass\n")
    messages = [f.message for f in only(tree.lint(), "MDB201")]
    assert "no `revision = '<id>'` at module level" in messages
    assert "no `down_revision` at module level" in messages
