"""MDB601: op.* calls neither rendered offline nor read from the source; what it leaves alone."""

from __future__ import annotations


def test_reads_through_get_bind_find_no_rows_and_writes_are_checked(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        conn = op.get_bind()
        rows = conn.execute(sa.text('SELECT id FROM users')).fetchall()
        for row in rows:
            conn.execute(sa.text('UPDATE users SET name = lower(name) WHERE id = :id'), id=row.id)
        conn.execute(sa.text('GRANT ALL ON users TO asterisk'))
        """,
    )
    report = tree.lint()
    assert [(f.code, f.severity) for f in report.findings] == [("MDB101", "error")]
    assert (report.revisions_seen, report.revisions) == (1, 1)


def test_a_revision_that_fails_offline_is_read_from_its_source(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        op.execute("SET lock_timeout = '5s'")
        import not_installed_here  # noqa: F401
        op.create_index('ix', 'users', ['name'])
        op.execute('GRANT ALL ON users TO asterisk')
        """,
    )
    report = tree.lint()
    assert [f.code for f in report.findings] == ["MDB501", "MDB101"]
    assert report.revisions_seen == 1


def test_an_unknown_call_in_an_unrenderable_revision_is_an_info_finding(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade="""
        import not_installed_here  # noqa: F401
        op.frobnicate('users')
        """,
    )
    report = tree.lint()
    (finding,) = report.findings
    assert (finding.code, finding.severity) == ("MDB601", "info")
    assert "op.frobnicate()" in finding.message and "not_installed_here" in finding.message
    assert finding.line == path.read_text().splitlines().index("    op.frobnicate('users')") + 1
    assert not report.failed(strict=True)
    assert (report.revisions_seen, report.revisions) == (0, 1)
