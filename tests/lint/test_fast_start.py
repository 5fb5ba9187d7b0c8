"""``lint`` of named files starts without click, the components or alembic (issue 20, item 6),
and says exactly what the click command says."""

from __future__ import annotations

import json

import yaml

from pgtest import run_tool

# Runs the command line (the launcher, as the console script does), then lists what it loaded.
_PROBE = """
import runpy, sys
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
try:
    runpy.run_module("manage_db", run_name="__main__")
finally:
    heavy = ("click", "alembic", "sqlalchemy", "psycopg2", "manage_db.app", "manage_db.registry",
             "manage_db.access", "manage_db.runtime", "manage_db.dao.connection")
    loaded = sorted(m for m in sys.modules if m.startswith(heavy))
    print("LOADED " + " ".join(loaded), file=sys.stderr)
"""
# The same command line through the click command, for comparison.
_CLICK = """
import sys
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
from manage_db.cli import main
main()
"""
SQL = "CREATE INDEX ix_users_name ON users (name);\nGRANT ALL ON users TO asterisk;\n"


def _fast(*args, **how):
    proc = run_tool(*args, code=_PROBE, **how)
    stderr, _, loaded = proc.stderr.rpartition("LOADED")
    return proc.returncode, proc.stdout, stderr, loaded.split()


def _click(*args, **how):
    proc = run_tool(*args, code=_CLICK, **how)
    return proc.returncode, proc.stdout, proc.stderr


def test_lint_of_a_sql_file_loads_neither_click_nor_components_nor_alembic(tmp_path):
    path = tmp_path / "0042_add_index.sql"
    path.write_text(SQL)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, stdout, stderr, loaded = _fast("lint", "--no-cache", str(path), env=env, cwd=tmp_path)
    assert loaded == []
    assert (code, stdout, stderr) == _click("lint", "--no-cache", str(path), env=env, cwd=tmp_path)
    assert code == 1 and "MDB101" in stdout and "MDB501" in stdout


def test_the_fast_start_takes_the_same_options_as_the_command(tmp_path):
    path = tmp_path / "a.sql"
    path.write_text("CREATE INDEX ix ON users (name);\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for args in (
        ["--format", "json", str(path)],
        ["--format=github", "--strict", str(path)],
        ["--ignore", "MDB501", "--ignore=MDB510", "--strict", str(path)],
    ):
        code, stdout, stderr, loaded = _fast("lint", *args, env=env, cwd=tmp_path)
        assert loaded == [], args
        assert (code, stdout, stderr) == _click("lint", *args, env=env, cwd=tmp_path), args
    code, stdout, _, _ = _fast("lint", "--format", "json", "--strict", str(path), env=env)
    assert code == 1 and [f["code"] for f in json.loads(stdout)["findings"]] == ["MDB501", "MDB510"]


def test_a_bad_lint_setting_is_one_line_and_exit_2_as_with_click(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"lint": {"ignore": ["MDB999"]}}))
    path = tmp_path / "a.sql"
    path.write_text("SELECT 1;\n")
    code, stdout, stderr, _ = _fast("lint", str(path), config=config, cwd=tmp_path)
    assert (code, stdout, stderr.strip()) == (
        2,
        "",
        "wazo-manage-db: lint.ignore: unknown rule 'MDB999'",
    )
    assert (code, stdout, stderr) == _click("lint", str(path), config=config, cwd=tmp_path)


def test_other_lint_command_lines_still_go_to_click(tmp_path):
    code, stdout, stderr, loaded = _fast("lint", "--rules-table", cwd=tmp_path)
    assert code == 0 and stdout.startswith("| code | name |") and "click" in loaded
    code, _, stderr, _ = _fast("lint", "--format", "xml", "a.sql", cwd=tmp_path)
    assert code == 2 and "'xml' is not one of" in stderr
