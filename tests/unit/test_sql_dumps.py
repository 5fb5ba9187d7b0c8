"""Which SQL dumps a revision's upgrade() runs, read from its source."""

from __future__ import annotations

from manage_db.dao.sql_dumps import sql_dumps_run_by_upgrade

PLATFORM_SHAPE = """
from pathlib import Path
from alembic import op

SQL_DUMP = Path(__file__).resolve().parents[1] / "sql" / "baseline.sql"
OTHER = "unused.sql"


def upgrade():
    op.execute(SQL_DUMP.read_text())


def downgrade():
    pass
"""

WAZO_AUTH_SHAPE = """
import os
from alembic import op


def upgrade():
    path = os.path.join(os.path.dirname(__file__), "baseline-2514.sql")
    with open(path) as f:
        op.execute(f.read())
"""


def write_tree(tmp_path, source, *sql_files):
    (tmp_path / "versions").mkdir()
    (tmp_path / "sql").mkdir()
    revision = tmp_path / "versions" / "a1_baseline.py"
    revision.write_text(source)
    for name in sql_files:
        (tmp_path / name).write_text("CREATE TABLE t (id integer);\n")
    return revision


def test_a_module_constant_naming_a_dump_of_the_tree_counts(tmp_path):
    revision = write_tree(tmp_path, PLATFORM_SHAPE, "sql/baseline.sql", "sql/unused.sql")
    assert sql_dumps_run_by_upgrade(revision, tmp_path) == (tmp_path / "sql" / "baseline.sql",)


def test_a_file_name_beside_the_revision_counts(tmp_path):
    revision = write_tree(tmp_path, WAZO_AUTH_SHAPE, "versions/baseline-2514.sql")
    assert [p.name for p in sql_dumps_run_by_upgrade(revision, tmp_path)] == ["baseline-2514.sql"]


def test_a_dump_the_tree_does_not_hold_does_not_count(tmp_path):
    revision = write_tree(tmp_path, WAZO_AUTH_SHAPE)
    assert sql_dumps_run_by_upgrade(revision, tmp_path) == ()


def test_a_revision_that_does_not_parse_runs_no_dump(tmp_path):
    revision = write_tree(tmp_path, "def upgrade(:\n", "sql/baseline.sql")
    assert sql_dumps_run_by_upgrade(revision, tmp_path) == ()
