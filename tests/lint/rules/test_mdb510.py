"""MDB510: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import TIMEOUT, only


def test_missing_lock_timeout_is_reported_once_per_revision(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.add_column('users', sa.Column('x', sa.Integer))\n"
        "op.add_column('users', sa.Column('y', sa.Integer))",
    )
    (finding,) = only(tree.lint(), "MDB510")
    assert "ACCESS EXCLUSIVE" in finding.message and "users" in finding.message


def test_lock_timeout_set_later_does_not_cover_earlier_statements(tree):
    tree.revision(
        "a1", None, upgrade="op.add_column('users', sa.Column('x', sa.Integer))\n" + TIMEOUT
    )
    assert tree.codes() == ["MDB510"]


@pytest.mark.parametrize(
    "setting",
    ["SET LOCAL lock_timeout TO 5000", "SELECT set_config('lock_timeout', '5s', true)"],
)
def test_other_ways_to_set_lock_timeout_count(tree, setting):
    tree.revision(
        "a1",
        None,
        upgrade=f"op.execute({setting!r})\nop.add_column('users', sa.Column('x', sa.Integer))",
    )
    assert tree.codes() == []


def test_lock_timeout_set_to_zero_does_not_count(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.execute('SET lock_timeout = 0')\n"
        "op.add_column('users', sa.Column('x', sa.Integer))",
    )
    assert tree.codes() == ["MDB510"]


@pytest.mark.parametrize(
    ("statement", "lock"),
    [("LOCK TABLE users", "ACCESS EXCLUSIVE"), ("LOCK users IN SHARE MODE", "SHARE lock")],
)
def test_lock_table_without_lock_timeout_is_reported_with_its_mode(tree, statement, lock):
    tree.revision("a1", None, upgrade=f"op.execute({statement!r})")
    (finding,) = only(tree.lint(), "MDB510")
    assert lock in finding.message and "users" in finding.message


def test_lock_table_after_lock_timeout_or_on_a_new_table_is_fine(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.execute('CREATE TABLE fresh (x int)')\nop.execute('LOCK TABLE fresh')\n"
        + TIMEOUT
        + "op.execute('LOCK TABLE users')",
    )
    assert tree.codes() == []


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("DROP INDEX users_name_ix", "DROP INDEX users_name_ix"),
        ("REINDEX TABLE users", "REINDEX TABLE users"),
        ("REINDEX (CONCURRENTLY false) INDEX users_name_ix", "REINDEX INDEX users_name_ix"),
    ],
)
def test_a_plain_drop_index_or_reindex_without_lock_timeout_is_reported(tree, statement, words):
    tree.revision("a1", None, upgrade=f"op.execute({statement!r})")
    (finding,) = only(tree.lint(), "MDB510")
    assert words in finding.message


def test_concurrent_index_work_or_an_index_the_revision_made_needs_no_lock_timeout(tree):
    upgrade = (
        "op.execute('CREATE TABLE fresh (x int)')\n"
        "op.execute('CREATE INDEX fresh_ix ON fresh (x)')\n"
        "op.execute('REINDEX INDEX fresh_ix')\n"
        "op.execute('DROP INDEX fresh_ix')\n"
        "with op.get_context().autocommit_block():\n"
        "    op.execute('REINDEX TABLE CONCURRENTLY users')\n"
        "    op.execute('DROP INDEX CONCURRENTLY users_name_ix')"
    )
    tree.revision("a1", None, upgrade=upgrade)
    assert only(tree.lint(), "MDB510") == []
