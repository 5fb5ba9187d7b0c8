"""MDB507: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB507", "op.drop_column('users', 'name')", "ACCESS EXCLUSIVE"),
        ("MDB507", "op.drop_table('users')", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)
