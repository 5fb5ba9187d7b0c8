"""``lint`` of named files starts without click, the components or alembic (issue 20, item 6),
and says exactly what the click command says."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from manage_db.config import DEFAULT_CONFIG_FILE
from manage_db.lint import rules
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


# Runs the command line, then says which modules it loaded, and which of pglast's ran (its
# syntax tree and enums are loaded lazily: a module not yet read is there but has not run).
_LEAN_PROBE = """
import runpy, sys
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
try:
    runpy.run_module("manage_db", run_name="__main__")
finally:
    ran = sorted(m for m, module in sys.modules.items() if type(module).__name__ != "_LazyModule")
    print("LOADED " + " ".join(ran), file=sys.stderr)
"""
# What a lint of .sql files alone never needs (issue 20, item 6).
_NOT_FOR_SQL_FILES = (
    "click",
    "alembic",
    "sqlalchemy",
    "psycopg2",
    "logging",
    "manage_db.log",
    "manage_db.app",
    "manage_db.registry",
    "manage_db.runtime",
    "manage_db.dao.connection",
    "manage_db.sql.pysource",  # reading Python revisions
    "manage_db.sql.opcalls",
    "manage_db.sql.deparse",
    "pglast.ast",  # pglast's Python syntax tree and enums: the JSON parse output needs neither
    "pglast.enums",
    "pglast.printers",
    "pglast.stream",
    "pglast.visitors",
    "pglast.keywords",
)


def _lean(*args, **how):
    proc = run_tool(*args, code=_LEAN_PROBE, **how)
    stderr, _, loaded = proc.stderr.rpartition("LOADED")
    return proc.returncode, proc.stdout, stderr, loaded.split()


def test_lint_of_sql_files_loads_only_the_parser_and_the_rules_about_statements(tmp_path):
    first = tmp_path / "0042_add_index.sql"
    first.write_text(SQL)
    second = tmp_path / "0043_add_column.sql"
    second.write_text("ALTER TABLE users ADD COLUMN nickname text NOT NULL;\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, stdout, stderr, loaded = _lean(
        "lint", "--no-cache", str(first), str(second), env=env, cwd=tmp_path
    )
    assert code == 1 and "MDB101" in stdout and "MDB502" in stdout, stdout + stderr
    assert [m for m in loaded if m.startswith(_NOT_FOR_SQL_FILES)] == []
    assert "pglast.parser" in loaded
    if not Path(DEFAULT_CONFIG_FILE).exists():  # no configuration file to read
        assert "yaml" not in loaded
    rule_modules = {m.rpartition(".")[2].upper() for m in loaded if ".lint.rules.mdb" in m}
    # The rules a statement can break, and the syntax error's; no revision or tree rule.
    statement_rules = {rule.code for rule in rules.statement_rules()}
    assert rule_modules == statement_rules | {"MDB001"}
    # and says what the click command says
    click = _click("lint", "--no-cache", str(first), str(second), env=env, cwd=tmp_path)
    assert (code, stdout, stderr) == click


def test_with_debug_the_lint_of_a_sql_file_sets_up_the_log_as_before(tmp_path):
    path = tmp_path / "a.sql"
    path.write_text("SELECT 1;\n")
    log = tmp_path / "manage-db.log"
    code, _, _, loaded = _lean("--debug", "--log-file", str(log), "lint", str(path), cwd=tmp_path)
    assert code == 0 and "manage_db.log" in loaded and log.exists()
    code, _, _, loaded = _lean("--log-file", str(log.with_name("quiet.log")), "lint", str(path))
    assert code == 0 and "logging" not in loaded and not log.with_name("quiet.log").exists()


def test_lint_leaves_the_connection_uris_of_the_configuration_unchecked(tmp_path):
    # The shipped config.yml sets db_uri: reading a URI takes the PostgreSQL driver (libpq's
    # parser), which lint never needs; a command that connects still refuses a bad one.
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"db_uri": "postgresql://u@h:notaport/db"}))
    path = tmp_path / "a.sql"
    path.write_text("SELECT 1;\n")
    code, stdout, stderr, loaded = _lean("lint", str(path), config=config, cwd=tmp_path)
    assert code == 0 and "lint: 1 file(s)" in stderr, stdout + stderr
    assert [m for m in loaded if m.startswith(("psycopg2", "manage_db.dao.connection"))] == []
    assert (code, stdout, stderr) == _click("lint", str(path), config=config, cwd=tmp_path)
    proc = run_tool("status", config=config, cwd=tmp_path)
    assert proc.returncode == 2 and "db_uri: invalid database URI" in proc.stderr
