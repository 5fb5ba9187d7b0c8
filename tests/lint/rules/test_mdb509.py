"""MDB509: its findings, and what it leaves alone."""

from __future__ import annotations

from tests.lint.conftest import TIMEOUT, only


def test_concurrently_inside_the_migration_transaction_is_an_error(tree):
    tree.revision("a1", None, upgrade="op.execute('CREATE INDEX CONCURRENTLY ix ON users (name)')")
    (finding,) = only(tree.lint(), "MDB509")
    assert finding.severity == "error"


def test_concurrently_inside_an_autocommit_block_is_fine(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "with op.get_context().autocommit_block():\n"
        + "    op.execute('CREATE INDEX CONCURRENTLY ix ON users (name)')",
    )
    assert tree.codes() == []
