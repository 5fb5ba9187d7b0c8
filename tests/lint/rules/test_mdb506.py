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


def test_add_column_references_is_validated_at_once(tree):
    upgrade = "op.execute('ALTER TABLE users ADD COLUMN tenant_uuid uuid REFERENCES tenant (uuid)')"
    assert_lock_warning(tree.after_timeout(upgrade), "MDB506", "SHARE ROW EXCLUSIVE")


@pytest.mark.parametrize(
    ("constraint", "lock"),
    [
        ("CHECK (x > 0)", "ACCESS EXCLUSIVE"),
        ("FOREIGN KEY (t) REFERENCES t (id)", "SHARE ROW EXCLUSIVE"),
    ],
)
def test_validate_in_the_transaction_that_added_it_not_valid_is_reported(tree, constraint, lock):
    upgrade = (
        f"op.execute('ALTER TABLE users ADD CONSTRAINT ck {constraint} NOT VALID')\n"
        "op.execute('ALTER TABLE users VALIDATE CONSTRAINT ck')"
    )
    (finding,) = tree.after_timeout(upgrade)
    assert finding.code == "MDB506" and "VALIDATE CONSTRAINT ck" in finding.message
    assert lock in finding.message


def test_validate_in_an_autocommit_block_after_the_add_is_fine(tree):
    upgrade = (
        "op.execute('ALTER TABLE users ADD CONSTRAINT ck CHECK (x > 0) NOT VALID')\n"
        "with op.get_context().autocommit_block():\n"
        "    op.execute(\"SET lock_timeout = '5s'\")\n"
        "    op.execute('ALTER TABLE users VALIDATE CONSTRAINT ck')"
    )
    assert tree.after_timeout(upgrade) == []


def test_validate_after_commit_in_a_sql_file_is_fine_and_a_new_table_is_never_reported(tree):
    tree.write(
        "sql/steps.sql",
        """\
        SET lock_timeout = '5s';
        BEGIN;
        ALTER TABLE users ADD CONSTRAINT ck CHECK (x > 0) NOT VALID;
        COMMIT;
        ALTER TABLE users VALIDATE CONSTRAINT ck;
        BEGIN;
        CREATE TABLE fresh (x int);
        ALTER TABLE fresh ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES users (id) NOT VALID;
        ALTER TABLE fresh VALIDATE CONSTRAINT fk;
        COMMIT;
        """,
    )
    assert tree.codes() == []
