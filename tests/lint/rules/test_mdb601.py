"""MDB601: its findings, and what it leaves alone."""

from __future__ import annotations

GRANT = 'op.execute("GRANT ALL ON foo TO asterisk")'


def test_get_bind_is_an_info_finding_and_does_not_fail(tree):
    tree.revision(
        "a1",
        None,
        upgrade="conn = op.get_bind()\nconn.execute(sa.text('UPDATE users SET name = lower(x)'))",
    )
    report = tree.lint()
    assert [(f.code, f.severity) for f in report.findings] == [("MDB601", "info")]
    assert not report.failed(strict=True)


def test_a_revision_that_fails_offline_falls_back_to_its_sql_strings(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        rows = op.get_bind().execute(sa.text('SELECT id FROM users')).fetchall()
        op.execute('GRANT ALL ON users TO asterisk')
        """,
    )
    codes = tree.codes()
    assert "MDB101" in codes and "MDB601" in codes
