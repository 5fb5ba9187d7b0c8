"""Revision checksums, the autocommit_block flag, and how drift is told from them (no database)."""

from __future__ import annotations

import os
from pathlib import Path

from history_trees import ONE, TWO, make_tree

from manage_db.checksums import python_checksum
from manage_db.dao.revision_checksums import read_facts, revision_facts
from manage_db.dao.revision_files import load_graph
from manage_db.history_model import LastRecord
from manage_db.services.history import find_drift, tree_facts, unrecorded
from pgtest import write_revision

CONCURRENT = """
from alembic import op

revision = "c3"
down_revision = None


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY i ON t (x)")


def downgrade():
    op.execute("DROP INDEX i")
"""


def test_checksum_is_lints_release_manifest_checksum():
    assert read_facts(CONCURRENT).checksum == python_checksum(CONCURRENT)


def test_autocommit_block_is_found_per_direction():
    facts = read_facts(CONCURRENT)
    assert not facts.transactional("upgrade")
    assert facts.transactional("downgrade")
    assert read_facts(CONCURRENT.replace("autocommit_block", "begin_transaction")).transactional(
        "upgrade"
    )


def test_comments_and_formatting_do_not_change_the_checksum():
    reformatted = CONCURRENT.replace(
        'op.execute("DROP INDEX i")', "# gone\n    op.execute(\n        'DROP INDEX i'\n    )"
    )
    assert read_facts(reformatted).checksum == read_facts(CONCURRENT).checksum
    edited = CONCURRENT.replace("DROP INDEX i", "DROP INDEX IF EXISTS i")
    assert read_facts(edited).checksum != read_facts(CONCURRENT).checksum


def test_cached_checksum_follows_an_edit_of_the_file(tmp_path: Path):
    location = make_tree(tmp_path, [ONE])
    path = location / "versions" / "a1a1a1a1a1a1_step.py"
    first = revision_facts(location, {"a1a1a1a1a1a1": path})["a1a1a1a1a1a1"].checksum
    assert revision_facts(location, {"a1a1a1a1a1a1": path})["a1a1a1a1a1a1"].checksum == first
    write_revision(location, "a1a1a1a1a1a1", None, 'op.execute("SELECT 2")', "pass")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert revision_facts(location, {"a1a1a1a1a1a1": path})["a1a1a1a1a1a1"].checksum != first


def test_drift_names_edited_missing_and_interrupted_revisions(tmp_path: Path):
    location = make_tree(tmp_path, [ONE, TWO])
    graph = load_graph(location)
    facts = tree_facts(graph)
    good = facts["a1a1a1a1a1a1"].checksum
    last = {
        "a1a1a1a1a1a1": LastRecord("upgrade", "0" * 64, "ok"),
        "b2b2b2b2b2b2": LastRecord("upgrade", facts["b2b2b2b2b2b2"].checksum, "running"),
    }
    drift = find_drift(graph, ("a1a1a1a1a1a1", "ffffffffffff"), last, facts)
    assert [(d.revision, d.kind) for d in drift] == [
        ("ffffffffffff", "missing"),
        ("a1a1a1a1a1a1", "edited"),
        ("b2b2b2b2b2b2", "interrupted"),
    ]
    # Reverted or matching revisions are not drift; nor is a revision that is no longer applied.
    last = {
        "a1a1a1a1a1a1": LastRecord("adopt", good, "ok"),
        "b2b2b2b2b2b2": LastRecord("downgrade", "0" * 64, "ok"),
    }
    assert find_drift(graph, ("a1a1a1a1a1a1",), last, facts) == []


def test_revisions_without_rows_are_adopted_base_first(tmp_path: Path):
    graph = load_graph(make_tree(tmp_path, [ONE, TWO]))
    assert unrecorded(graph, ("b2b2b2b2b2b2",), None) == ["a1a1a1a1a1a1", "b2b2b2b2b2b2"]
    last = {"a1a1a1a1a1a1": LastRecord("upgrade", None, "ok")}
    assert unrecorded(graph, ("b2b2b2b2b2b2",), last) == ["b2b2b2b2b2b2"]
