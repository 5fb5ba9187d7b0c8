"""MDB503: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        (
            "MDB503",
            "op.execute('ALTER TABLE users ADD COLUMN u uuid DEFAULT gen_random_uuid()')",
            "ACCESS EXCLUSIVE",
        ),
        ("MDB503", "op.execute('ALTER TABLE users ADD COLUMN n serial')", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.execute('ALTER TABLE users ADD COLUMN at timestamptz DEFAULT now()')",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    assert tree.after_timeout(upgrade) == []
