"""MDB508: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB508", "op.alter_column('users', 'name', new_column_name='label')", "ACCESS EXCLUSIVE"),
        ("MDB508", "op.rename_table('users', 'people')", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)
