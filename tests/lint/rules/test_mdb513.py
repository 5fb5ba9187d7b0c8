"""MDB513: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "REINDEX TABLE users",
        "REINDEX INDEX users_name_ix",
        "REINDEX SCHEMA public",
        "REINDEX DATABASE asterisk",
        "REINDEX (CONCURRENTLY false) TABLE users",
    ],
)
def test_reindex_without_concurrently_warns(tree, statement):
    findings = tree.after_timeout(f"op.execute({statement!r})")
    (finding,) = [f for f in findings if f.code == "MDB513"]
    assert finding.code == "MDB513" and finding.severity == "warning"
    assert "without CONCURRENTLY" in finding.message


@pytest.mark.parametrize(
    "statement",
    [
        "REINDEX TABLE CONCURRENTLY users",
        "REINDEX (CONCURRENTLY) INDEX users_name_ix",
        "REINDEX SYSTEM asterisk",
    ],
)
def test_concurrently_or_system_catalogs_are_fine(tree, statement):
    upgrade = f"with op.get_context().autocommit_block():\n    op.execute({statement!r})"
    assert tree.after_timeout(upgrade) == []


def test_a_table_the_revision_created_is_fine(tree):
    upgrade = "op.execute('CREATE TABLE fresh (x int)')\nop.execute('REINDEX TABLE fresh')"
    assert tree.after_timeout(upgrade) == []


def test_concurrently_false_is_a_plain_reindex_that_runs_in_a_transaction(tree):
    upgrade = "op.execute('REINDEX (CONCURRENTLY false) TABLE users')"
    assert [f.code for f in tree.after_timeout(upgrade)] == ["MDB513"]  # not MDB509
