"""MDB506: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        (
            "MDB506",
            "op.create_foreign_key('fk', 'users', 'tenant', ['tenant_uuid'], ['uuid'])",
            "SHARE ROW EXCLUSIVE",
        ),
        (
            "MDB506",
            "op.create_check_constraint('ck', 'users', 'length(name) > 0')",
            "ACCESS EXCLUSIVE",
        ),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.execute('ALTER TABLE users ADD CONSTRAINT f FOREIGN KEY (t) REFERENCES t NOT VALID')",
        "op.execute('ALTER TABLE users ADD CONSTRAINT ck CHECK (x > 0) NOT VALID')",
        "op.execute('ALTER TABLE users VALIDATE CONSTRAINT ck')",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    assert tree.after_timeout(upgrade) == []
