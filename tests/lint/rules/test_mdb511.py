"""MDB511: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("upgrade", "what"),
    [
        ("op.create_unique_constraint('users_mail_key', 'users', ['mail'])", "ADD UNIQUE"),
        ("op.create_primary_key('users_pkey', 'users', ['id'])", "ADD PRIMARY KEY"),
        ("op.execute('ALTER TABLE users ADD COLUMN code text UNIQUE')", "code UNIQUE"),
        (
            "op.execute('ALTER TABLE users ADD EXCLUDE USING gist (room WITH =)')",
            "ADD EXCLUDE",
        ),
    ],
)
def test_a_constraint_that_builds_its_index_on_an_existing_table_warns(tree, upgrade, what):
    findings = tree.after_timeout(upgrade)
    assert_lock_warning(findings, "MDB511", "ACCESS EXCLUSIVE")
    assert what in findings[0].message


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.execute('ALTER TABLE users ADD CONSTRAINT users_mail_key UNIQUE USING INDEX mail_ix')",
        "op.execute('ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX id_ix')",
        "op.execute('CREATE TABLE fresh (id int, code text)')\n"
        "op.create_unique_constraint('fresh_code_key', 'fresh', ['code'])\n"
        "op.create_primary_key('fresh_pkey', 'fresh', ['id'])",
    ],
)
def test_using_an_index_built_before_or_a_new_table_does_not_warn(tree, upgrade):
    assert tree.after_timeout(upgrade) == []
