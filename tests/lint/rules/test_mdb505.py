"""MDB505: its findings, and what it leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.conftest import TIMEOUT, assert_lock_warning, only


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB505", "op.alter_column('users', 'name', nullable=False)", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


def test_after_a_check_validated_in_another_transaction_set_not_null_is_not_reported(tree):
    tree.write(
        "sql/steps.sql",
        """\
        SET lock_timeout = '5s';
        ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;
        BEGIN;
        SET LOCAL lock_timeout = '5s';
        ALTER TABLE users VALIDATE CONSTRAINT name_nn;
        ALTER TABLE users ALTER COLUMN name SET NOT NULL;
        ALTER TABLE users DROP CONSTRAINT name_nn;
        COMMIT;
        """,
    )
    assert tree.codes() == []


def test_after_validating_a_constraint_an_earlier_revision_added_it_is_not_reported(tree):
    upgrade = (
        "op.execute('ALTER TABLE users VALIDATE CONSTRAINT name_nn')\n"
        "op.alter_column('users', 'name', nullable=False)"
    )
    assert tree.after_timeout(upgrade) == []


@pytest.mark.parametrize(
    "before",
    [
        # added NOT VALID, never validated
        "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID",
        # validated, but about another column
        "ALTER TABLE users ADD CONSTRAINT mail_nn CHECK (mail IS NOT NULL) NOT VALID; "
        "COMMIT; ALTER TABLE users VALIDATE CONSTRAINT mail_nn",
        # a check that is not IS NOT NULL
        "ALTER TABLE users ADD CONSTRAINT name_len CHECK (length(name) > 0) NOT VALID; "
        "COMMIT; ALTER TABLE users VALIDATE CONSTRAINT name_len",
    ],
)
def test_a_check_that_is_not_a_validated_not_null_on_the_column_does_not_count(tree, before):
    tree.write(
        "sql/steps.sql",
        f"SET lock_timeout = '5s';\n{before};\nALTER TABLE users ALTER COLUMN name SET NOT NULL;\n",
    )
    assert "MDB505" in tree.codes()


def test_after_an_earlier_revision_validated_the_check_set_not_null_is_not_reported(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + "op.execute('ALTER TABLE users ADD CONSTRAINT name_nn "
        "CHECK (name IS NOT NULL) NOT VALID')\n"
        "with op.get_context().autocommit_block():\n"
        "    op.execute('ALTER TABLE users VALIDATE CONSTRAINT name_nn')",
    )
    tree.revision("b2", "a1", upgrade=TIMEOUT + "op.alter_column('users', 'name', nullable=False)")
    tree.revision("c3", None, upgrade=TIMEOUT + "op.alter_column('users', 'name', nullable=False)")
    tree.revision("d4", "b2", upgrade=TIMEOUT + "op.alter_column('users', 'mail', nullable=False)")
    for _ in ("analysed", "from the cache"):
        report = tree.lint({"ignore": ["MDB201"]})  # two roots: only ancestors count
        assert sorted(Path(f.path).name[:2] for f in only(report, "MDB505")) == ["c3", "d4"]


def test_a_check_added_then_validated_by_two_earlier_revisions_counts_only_once_validated(tree):
    add = "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID"
    set_not_null = TIMEOUT + "op.alter_column('users', 'name', nullable=False)"
    tree.revision("a1", None, upgrade=TIMEOUT + f"op.execute({add!r})")
    tree.revision("b2", "a1", upgrade=set_not_null)  # not validated yet: scans
    tree.revision(
        "c3",
        "b2",
        upgrade="with op.get_context().autocommit_block():\n"
        "    op.execute(\"SET lock_timeout = '5s'\")\n"
        "    op.execute('ALTER TABLE users VALIDATE CONSTRAINT name_nn')",
    )
    tree.revision("d4", "c3", upgrade=set_not_null)
    assert [Path(f.path).name[:2] for f in only(tree.lint(), "MDB505")] == ["b2"]
