"""noqa comments, lint.ignore, and MDB401 with the release manifest."""

from __future__ import annotations

import pytest

from manage_db.errors import ConfigError
from manage_db.lint.config import settings_from
from manage_db.lint.service import record_release
from tests.lint.conftest import only

GRANT = 'op.execute("GRANT ALL ON foo TO asterisk")'


def test_noqa_on_the_line_suppresses_only_that_code(tree):
    tree.revision(
        "a1",
        None,
        upgrade=f"{GRANT}  # manage-db: noqa: MDB101\n"
        "op.execute('DROP TABLE users')  # manage-db: noqa: MDB101",
    )
    assert tree.codes() == ["MDB507", "MDB510"]


def test_noqa_on_the_call_line_covers_a_multi_line_string(tree):
    tree.revision(
        "a1",
        None,
        upgrade='op.execute(  # manage-db: noqa: forbidden-statement\n    """\n'
        '    GRANT ALL ON foo TO asterisk\n"""\n)',
    )
    assert tree.codes() == []


def test_noqa_at_the_top_of_the_file_covers_the_whole_file(tree):
    tree.revision(
        "a1", None, header="# manage-db: noqa: MDB101, MDB301\n", upgrade=GRANT, downgrade="pass"
    )
    assert tree.codes() == []


def test_noqa_without_codes_suppresses_nothing(tree):
    tree.revision("a1", None, upgrade=f"{GRANT}  # manage-db: noqa")
    assert tree.codes() == ["MDB101"]


def test_noqa_in_a_sql_file(tree):
    tree.write(
        "sql/dump.sql",
        "-- manage-db: noqa: MDB501\nCREATE INDEX a ON users (x);\n"
        "GRANT ALL ON users TO asterisk; -- manage-db: noqa: MDB101\n"
        "REVOKE ALL ON users FROM public;\n",
    )
    assert [(f.code, f.line) for f in tree.lint().findings] == [("MDB510", 2), ("MDB101", 4)]


def test_config_ignore_accepts_codes_and_names(tree):
    tree.revision("a1", None, upgrade=GRANT, downgrade="pass")
    assert tree.codes({"ignore": ["mdb101", "missing-downgrade"]}) == []


def test_unknown_rule_in_config_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown rule 'MDB999'"):
        settings_from({"ignore": ["MDB999"]})
    with pytest.raises(ConfigError, match="downgrade_severity"):
        settings_from({"downgrade_severity": "fatal"})


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
