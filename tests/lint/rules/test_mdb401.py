"""MDB401: its findings, and what it leaves alone."""

from __future__ import annotations

from manage_db.lint.config import settings_from
from manage_db.lint.service import record_release
from tests.lint.conftest import only


def test_released_revisions_are_recorded_and_edits_fail(tree):
    first = tree.revision("a1", None, upgrade="op.execute('CREATE TABLE foo (id int)')")
    tree.write("sql/base.sql", "CREATE TABLE bar (id int);\n")
    added = record_release(tree.root, settings_from(None))
    assert [e.key for e in added] == ["a1", "sql/base.sql"]
    assert record_release(tree.root, settings_from(None)) == []
    assert tree.codes() == []

    tree.revision("b2", "a1")  # a new revision is not released yet: fine
    assert tree.codes() == []

    first.write_text(first.read_text().replace("id int", "id bigint"))
    (finding,) = only(tree.lint(), "MDB401")
    assert finding.severity == "error" and "a1 was edited" in finding.message


def test_reformatting_a_released_revision_is_not_an_edit(tree):
    path = tree.revision("a1", None, upgrade="op.execute('CREATE TABLE foo (id int)')")
    record_release(tree.root, settings_from(None))
    path.write_text("# a comment\n" + path.read_text().replace("op.execute(", "op.execute(  "))
    assert tree.codes() == []


def test_a_released_revision_that_disappears_fails(tree):
    path = tree.revision("a1", None)
    record_release(tree.root, settings_from(None))
    path.unlink()
    (finding,) = only(tree.lint(), "MDB401")
    assert finding.path == "alembic/released-revisions.txt"
    assert "a1" in finding.message and "gone" in finding.message
