"""MDB502: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


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
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=False, server_default='0'))",
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=True))",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    assert tree.after_timeout(upgrade) == []
