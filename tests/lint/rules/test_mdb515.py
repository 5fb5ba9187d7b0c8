"""MDB515: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize("what", ["SET LOGGED", "SET UNLOGGED"])
def test_changing_persistence_of_an_existing_table_warns(tree, what):
    findings = tree.after_timeout(f"op.execute('ALTER TABLE users {what}')")
    assert_lock_warning(findings, "MDB515", "ACCESS EXCLUSIVE")
    assert what in findings[0].message and "rewrites" in findings[0].message


def test_a_table_the_revision_created_is_fine(tree):
    upgrade = "op.execute('CREATE UNLOGGED TABLE fresh (x int)')\n"
    upgrade += "op.execute('ALTER TABLE fresh SET LOGGED')"
    assert tree.after_timeout(upgrade) == []
