"""MDB501: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB501", "op.create_index('ix', 'users', ['name'])", "SHARE lock"),
        ("MDB501", "op.execute('CREATE INDEX ix ON users (name)')", "SHARE lock"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.create_index('ix', 'users', ['name'], postgresql_concurrently=True)",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    if "concurrently" in upgrade:
        upgrade = f"with op.get_context().autocommit_block():\n    {upgrade}"
    assert tree.after_timeout(upgrade) == []
