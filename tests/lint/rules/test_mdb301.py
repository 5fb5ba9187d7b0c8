"""MDB301: its findings, and what it leaves alone."""

from __future__ import annotations

from tests.lint.conftest import only, position_of


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
