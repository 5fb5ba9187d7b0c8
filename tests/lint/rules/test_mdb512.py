"""MDB512: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.drop_index('users_name_ix', table_name='users')",
        "op.execute('DROP INDEX IF EXISTS users_name_ix')",
    ],
)
def test_drop_index_without_concurrently_warns(tree, upgrade):
    findings = tree.after_timeout(upgrade)
    assert_lock_warning(findings, "MDB512", "ACCESS EXCLUSIVE")
    assert "users_name_ix" in findings[0].message


def test_concurrently_outside_the_transaction_or_an_index_the_revision_made_is_fine(tree):
    upgrade = (
        "op.execute('CREATE TABLE fresh (x int)')\n"
        "op.create_index('fresh_x_ix', 'fresh', ['x'])\n"
        "op.drop_index('fresh_x_ix', table_name='fresh')\n"
        "with op.get_context().autocommit_block():\n"
        "    op.execute(\"SET lock_timeout = '5s'\")\n"
        "    op.drop_index('users_name_ix', table_name='users', postgresql_concurrently=True)"
    )
    assert tree.after_timeout(upgrade) == []


def test_drop_index_in_a_downgrade_is_not_reported(tree):
    tree.revision("a1", None, downgrade="op.drop_index('users_name_ix', table_name='users')")
    assert tree.codes() == []
