"""MDB514: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("statement", ["DROP DATABASE chatd", "DROP DATABASE IF EXISTS chatd"])
def test_drop_database_is_an_error_in_an_upgrade(tree, statement):
    (finding,) = tree.after_timeout(f"op.execute({statement!r})")
    assert (finding.code, finding.severity) == ("MDB514", "error")
    assert "chatd" in finding.message


def test_drop_database_is_an_error_in_a_downgrade_and_a_sql_file_too(tree):
    tree.revision("a1", None, downgrade="op.execute('DROP DATABASE chatd')")
    tree.write("sql/cleanup.sql", "DROP DATABASE chatd;\n")
    assert tree.codes() == ["MDB514", "MDB514"]


def test_drop_schema_or_table_is_not_this_rule(tree):
    upgrade = "op.execute('DROP SCHEMA IF EXISTS old CASCADE')"
    assert tree.after_timeout(upgrade) == []
