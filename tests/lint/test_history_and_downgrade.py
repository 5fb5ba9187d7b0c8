"""MDB201 (history), MDB301 (downgrade), MDB001 (files that do not parse)."""

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


def test_pass_downgrade_is_a_warning_by_default(tree):
    path = tree.revision("a1", None, downgrade="pass")
    (finding,) = only(tree.lint(), "MDB301")
    assert finding.severity == "warning"
    assert finding.line == position_of(path, "def downgrade")[0]


def test_missing_downgrade_is_reported(tree):
    tree.write(
        "versions/a1_x.py", "revision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    pass\n"
    )
    assert [f.message for f in only(tree.lint(), "MDB301")] == ["no downgrade() in this revision"]


def test_declared_irreversible_revisions_need_no_downgrade(tree):
    tree.revision("a1", None, downgrade="pass", body="irreversible = True\n")
    tree.revision("b2", "a1", downgrade='raise NotImplementedError("irreversible: data is lost")')
    assert only(tree.lint(), "MDB301") == []


def test_downgrade_severity_is_configurable(tree):
    tree.revision("a1", None, downgrade="pass")
    assert [f.severity for f in tree.lint({"downgrade_severity": "error"}).findings] == ["error"]
    assert tree.lint({"downgrade_severity": "off"}).findings == []


def test_python_that_does_not_parse_is_a_finding_not_a_crash(tree):
    tree.revision("a1", None)
    tree.write("versions/b2_broken.py", "revision = 'b2'\ndown_revision = 'a1'\ndef upgrade(:\n")
    findings = only(tree.lint(), "MDB001")
    assert [(f.path, f.line, f.severity) for f in findings] == [
        ("alembic/versions/b2_broken.py", 3, "error")
    ]


def test_sql_that_does_not_parse_is_located(tree):
    path = tree.revision("a1", None, upgrade='op.execute("CREATE TABLE foo (id int);\\nSELEC 1")')
    (finding,) = only(tree.lint(), "MDB001")
    assert "syntax error" in finding.message
    assert finding.line == position_of(path, "SELEC")[0]


def test_broken_sql_file_is_a_finding(tree):
    tree.write("sql/dump.sql", "CREATE TABLE foo (id int);\n\nCREATE TABLE bar (;\n")
    (finding,) = only(tree.lint(), "MDB001")
    assert (finding.path, finding.line) == ("alembic/sql/dump.sql", 3)


def test_broken_plpgsql_body_is_a_finding(tree):
    tree.revision("a1", None, upgrade='op.execute("DO $$ BEGIN frobnicate; END $$")')
    assert "PL/pgSQL" in only(tree.lint(), "MDB001")[0].message
