"""A .sql file named on the command line is linted on its own; a tree or a revision file is
linted with its whole tree, as before (issue 20, item 6)."""

from __future__ import annotations

from manage_db.lint.config import settings_from
from manage_db.lint.service import lint_paths, record_release
from pgtest import run_tool
from tests.lint.conftest import Tree, only

# Lists the heavy modules the command line loaded.
_PROBE = """
import runpy, sys
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
try:
    runpy.run_module("manage_db", run_name="__main__")
finally:
    heavy = ("alembic", "sqlalchemy", "manage_db.runtime", "manage_db.sql.pysource")
    print("LOADED " + " ".join(sorted(m for m in sys.modules if m.startswith(heavy))),
          file=sys.stderr)
"""
BASELINE = "CREATE TABLE users (id int);\nGRANT ALL ON users TO asterisk;\n"


def _two_heads(tree: Tree) -> None:
    """Revisions with a history error (two heads, MDB201) and a GRANT (MDB101)."""
    tree.revision("a1", None, upgrade="op.execute('GRANT ALL ON users TO asterisk')")
    tree.revision("b2", "a1")
    tree.revision("c3", "a1")


def test_a_sql_file_of_a_tree_gets_its_own_findings_only(tree):
    _two_heads(tree)
    sql = tree.write("sql/baseline.sql", BASELINE)
    report = tree.lint(path=sql)
    assert [(f.path, f.code) for f in report.findings] == [("alembic/sql/baseline.sql", "MDB101")]
    assert (report.files, report.revisions) == (1, 0)
    # The tree, or one of its revisions, is still checked with the whole history.
    assert {f.code for f in tree.lint().findings} == {"MDB101", "MDB201"}
    revision = tree.root / "versions" / "b2_change.py"
    assert sorted(f.code for f in tree.lint(path=revision).findings) == ["MDB201", "MDB201"]


def test_a_released_sql_file_edited_is_reported_when_named_alone(tree):
    sql = tree.write("sql/baseline.sql", BASELINE)
    other = tree.write("sql/data.sql", "SELECT 1;\n")
    tree.revision("a1", None)
    record_release(tree.root, settings_from(None))
    sql.write_text(BASELINE + "SELECT 2;\n")
    other.unlink()
    report = tree.lint(path=sql)
    assert [(f.path, f.code) for f in only(report, "MDB401")] == [
        ("alembic/sql/baseline.sql", "MDB401")
    ]
    # The other released file's absence is the tree's business: seen when the tree is linted.
    messages = [f.message for f in only(tree.lint(), "MDB401")]
    assert len(messages) == 2 and any("sql/data.sql" in m and "gone" in m for m in messages)


def test_a_sql_file_lint_keeps_the_cache_of_the_rest_of_its_tree(tree, tmp_path):
    _two_heads(tree)
    sql = tree.write("sql/baseline.sql", BASELINE)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = run_tool("lint", str(tree.root), code=_PROBE, env=env, cwd=tmp_path)
    assert first.returncode == 1 and "alembic" in first.stderr.rpartition("LOADED")[2]
    alone = run_tool("lint", str(sql), code=_PROBE, env=env, cwd=tmp_path)
    assert alone.returncode == 1 and alone.stderr.rpartition("LOADED")[2].split() == []
    # The revisions' results are still cached: the tree again needs no rendering.
    again = run_tool("lint", str(tree.root), code=_PROBE, env=env, cwd=tmp_path)
    assert again.stdout == first.stdout
    assert again.stderr.rpartition("LOADED")[2].split() == []


def test_a_sql_file_beside_an_alembic_tree_is_linted_without_the_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    tree = Tree(project / "alembic")
    _two_heads(tree)
    sql = project / "fix.sql"
    sql.write_text("CREATE INDEX ix_users_name ON users (name);\n")
    proc = run_tool("lint", "--no-cache", "fix.sql", code=_PROBE, cwd=project)
    assert proc.stderr.rpartition("LOADED")[2].split() == []
    # its own findings, none of the tree's (MDB201, MDB101)
    assert [line.split()[:2] for line in proc.stdout.splitlines()] == [
        ["fix.sql:1:1", "MDB501"],
        ["fix.sql:1:1", "MDB510"],
    ]
    monkeypatch.chdir(project)
    report = lint_paths([sql], settings_from(None))
    assert [(f.path, f.code) for f in report.findings] == [
        ("fix.sql", "MDB501"),
        ("fix.sql", "MDB510"),
    ]
