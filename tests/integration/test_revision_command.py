"""revision: new files from the tree's template, no database needed."""

from __future__ import annotations

import shutil
import subprocess
import sys

from manage_db.dao.revision_files import load_graph
from pgtest import REPO


def tree_copy(tmp_path, write_config):
    shutil.copytree(REPO / "alembic", tmp_path / "alembic")
    return write_config(
        {
            "db_uri": "postgresql://nobody:x@127.0.0.1:1/unreachable",
            "plugins": False,
            "components": {"asterisk": {"script_location": str(tmp_path / "alembic")}},
        }
    )


def test_revision_writes_a_new_head_from_the_template(run_cli, tmp_path, write_config):
    config = tree_copy(tmp_path, write_config)
    old_head = load_graph(tmp_path / "alembic").heads()
    result = run_cli("revision", "-m", "add foo", config=config)
    assert result.exit_code == 0, result
    path = result.stdout.strip()
    assert path.endswith("_add_foo.py")
    graph = load_graph(tmp_path / "alembic")
    new = graph.revisions[graph.heads()[0]]
    assert str(new.path) == path
    assert new.down_revisions == old_head
    assert new.message == "add foo"


def test_version_bump_revision_updates_infos_and_restores_previous(run_cli, tmp_path, write_config):
    config = tree_copy(tmp_path, write_config)
    result = run_cli("revision", "-m", "bump 26.10", "--wazo-version", "26.10", config=config)
    assert result.exit_code == 0, result
    text = open(result.stdout.strip()).read()
    assert "wazo_version = '26.10'" in text
    # The previous value comes from the platform tree's own 26.09 bump.
    assert "previous_wazo_version = '26.09'" in text
    offline = run_cli("upgrade", "--sql", config=config)
    assert "UPDATE infos SET wazo_version = '26.10'" in offline.stdout


def test_plain_alembic_revision_works_from_the_repo_root(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(REPO / "alembic", work / "alembic")
    shutil.copy(REPO / "alembic.ini", work)
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "revision", "-m", "plain"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    graph = load_graph(work / "alembic")
    assert len(graph.heads()) == 1
    assert graph.revisions[graph.heads()[0]].message == "plain"


def test_revision_on_a_tree_with_two_heads_is_refused(run_cli, tmp_path, write_config):
    config = tree_copy(tmp_path, write_config)
    base = load_graph(tmp_path / "alembic").history()[0]
    (tmp_path / "alembic" / "versions" / "0a0a0a0a0a0a_branch.py").write_text(
        f'"""branch"""\nrevision = "0a0a0a0a0a0a"\ndown_revision = {base.revision!r}\n'
    )
    result = run_cli("revision", "-m", "x", config=config)
    assert result.exit_code == 6
    assert "several heads" in result.stderr and "merge them first" in result.stderr
