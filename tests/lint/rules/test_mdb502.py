"""MDB502: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

TIMEOUT = "op.execute(\"SET lock_timeout = '5s'\")\n"


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        (
            "MDB502",
            "op.add_column('users', sa.Column('x', sa.Integer, nullable=False))",
            "ACCESS EXCLUSIVE",
        ),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    tree.revision("a1", None, upgrade=TIMEOUT + upgrade)
    findings = tree.lint().findings
    assert [f.code for f in findings] == [code]
    assert findings[0].severity == "warning"
    assert lock in findings[0].message


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=False, server_default='0'))",
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=True))",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    if "concurrently" in upgrade:
        upgrade = f"with op.get_context().autocommit_block():\n    {upgrade}"
    tree.revision("a1", None, upgrade=TIMEOUT + upgrade)
    assert tree.codes() == []
