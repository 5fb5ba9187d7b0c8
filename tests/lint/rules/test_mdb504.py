"""MDB504: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

TIMEOUT = "op.execute(\"SET lock_timeout = '5s'\")\n"


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB504", "op.alter_column('users', 'name', type_=sa.Text)", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    tree.revision("a1", None, upgrade=TIMEOUT + upgrade)
    findings = tree.lint().findings
    assert [f.code for f in findings] == [code]
    assert findings[0].severity == "warning"
    assert lock in findings[0].message
