"""The `lint` and `release` commands: output formats, exit codes, trees, the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml
from click.testing import CliRunner

from manage_db.commands.lint import lint, release
from manage_db.models import Component

REPO = Path(__file__).resolve().parents[2]


def _app(tree, lint_section=None):
    component = Component("asterisk", tree.root, "asterisk", "asterisk")
    settings = {"lint": lint_section or {}}
    return SimpleNamespace(settings=settings, components=lambda names=(): [component])


def runner() -> CliRunner:
    """stdout without stderr, on click 8.1 (Debian 12) as on 8.2+."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def run(tree, *args, lint_section=None):
    return runner().invoke(lint, list(args), obj=_app(tree, lint_section))


def test_default_output_is_file_line_col_code_message(tree):
    tree.revision("a1", None, upgrade='op.execute("GRANT ALL ON foo TO asterisk")')
    result = run(tree)
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    path, row, col_and_code = line.split(":", 2)
    assert path == "alembic/versions/a1_change.py"
    assert row.isdigit()
    assert col_and_code.split(" ")[1] == "MDB101"


def test_no_path_lints_every_component_tree(tree):
    tree.revision("a1", None, downgrade="pass")
    result = run(tree)
    assert result.exit_code == 0
    assert "MDB301" in result.stdout


def test_warnings_fail_only_with_strict(tree):
    tree.revision("a1", None, downgrade="pass")
    assert run(tree, str(tree.root)).exit_code == 0
    assert run(tree, "--strict", str(tree.root)).exit_code == 1


def test_clean_tree_exits_0_with_no_output(tree):
    tree.revision("a1", None)
    result = run(tree, str(tree.root))
    assert (result.exit_code, result.stdout) == (0, "")


def test_json_format(tree):
    tree.revision(
        "a1", None, upgrade='op.execute("GRANT ALL ON foo TO asterisk")', downgrade="pass"
    )
    result = run(tree, "--format", "json")
    data = json.loads(result.stdout)
    assert (data["errors"], data["warnings"]) == (1, 1)
    assert (data["revisions"], data["revisions_seen"]) == (1, 1)
    assert {f["code"] for f in data["findings"]} == {"MDB101", "MDB301"}
    assert set(data["findings"][0]) >= {
        "path",
        "line",
        "col",
        "code",
        "severity",
        "message",
        "hint",
    }


def test_github_format_writes_workflow_annotations(tree):
    tree.revision(
        "a1", None, upgrade='op.execute("GRANT ALL ON foo TO asterisk")', downgrade="pass"
    )
    lines = run(tree, "--format", "github").stdout.splitlines()
    assert lines[0].startswith("::error file=alembic/versions/a1_change.py,line=")
    assert ",title=MDB101::GRANT in a migration" in lines[0]
    assert lines[1].startswith("::warning ")


def test_linting_one_file_reports_it_and_tree_wide_findings(tree):
    tree.revision("a1", None, upgrade='op.execute("GRANT ALL ON foo TO asterisk")')
    tree.revision("b2", "a1", downgrade="pass")
    tree.revision("c3", "a1")
    result = run(tree, str(tree.root / "versions" / "b2_change.py"))
    codes = sorted({line.split(" ")[1] for line in result.stdout.splitlines()})
    assert codes == ["MDB201", "MDB301"]


def test_config_section_is_applied(tree):
    tree.revision("a1", None, downgrade="pass")
    result = run(tree, lint_section={"downgrade_severity": "error"})
    assert result.exit_code == 1


def test_release_command_records_then_lint_guards(tree):
    path = tree.revision("a1", None)
    result = runner().invoke(release, [], obj=_app(tree))
    assert result.exit_code == 0 and "recorded a1" in result.stdout
    path.write_text(path.read_text() + "\nEXTRA = 1\n")
    assert "MDB401" in run(tree).stdout


def test_second_run_uses_the_cache_and_gives_the_same_findings(tree):
    tree.revision(
        "a1", None, upgrade='op.execute("GRANT ALL ON foo TO asterisk")', downgrade="pass"
    )
    tree.revision("b2", "a1", upgrade="op.drop_column('users', 'x')")
    first = run(tree).stdout
    cache_files = list(Path(os.environ["XDG_CACHE_HOME"], "wazo-manage-db").iterdir())
    assert len(cache_files) == 1
    assert run(tree).stdout == first
    assert run(tree, "--no-cache").stdout == first


def test_cache_hit_does_not_import_alembic_sqlalchemy_or_pglast(tree, tmp_path):
    tree.revision("a1", None, upgrade="op.add_column('users', sa.Column('x', sa.Integer))")
    script = (
        "import sys\n"
        "from manage_db.lint.config import settings_from\n"
        "from pathlib import Path\n"
        "from manage_db.lint.service import lint_paths\n"
        f"report = lint_paths([Path({str(tree.root)!r})], settings_from(None))\n"
        "print(len(report.findings), sorted(m for m in ('alembic', 'sqlalchemy', 'pglast')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cold = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert cold.stdout == "1 ['alembic', 'pglast', 'sqlalchemy']\n"
    assert warm.stdout == "1 []\n"


def test_unwritable_cache_dir_means_no_cache(tree, monkeypatch):
    tree.revision("a1", None, downgrade="pass")
    blocker = tree.root.parent / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert run(tree).exit_code == 0
    assert "MDB301" in run(tree).stdout


def test_platform_tree_lints_without_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(REPO)
    component = Component("asterisk", REPO / "alembic", "asterisk", "asterisk")
    app = SimpleNamespace(settings={}, components=lambda names=(): [component])
    result = runner().invoke(lint, [], obj=app)
    assert result.exit_code == 0, result.stdout
    assert "[error]" not in result.stdout


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "wazo-manage-db-lint"
    assert hook["entry"].startswith("wazo-manage-db lint")


def test_big_trees_are_analysed_in_parallel_with_the_same_findings(tree, monkeypatch):
    from manage_db.lint import service

    down = None
    for index in range(12):
        rev = f"r{index:02d}"
        upgrade = f"op.add_column('users', sa.Column('c{index}', sa.Integer, nullable=False))"
        tree.revision(rev, down, upgrade=upgrade, downgrade="pass" if index % 3 else "op.f()")
        down = rev
    for index in range(3):
        tree.write(f"sql/s{index}.sql", "CREATE INDEX i ON users (x);\nGRANT ALL ON t TO x;\n")
    serial = [f.to_dict() for f in tree.lint({"cache": False}).findings]
    monkeypatch.setattr(service, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(service.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    parallel = [f.to_dict() for f in tree.lint({"cache": False}).findings]
    assert len(serial) == 12 * 3 - 4 + 3 * 3
    assert parallel == serial


def test_rules_table_prints_the_registry_table(tree):
    result = run(tree, "--rules-table")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "| code | name | severity | what |"
    assert "| MDB101 | forbidden-statement | error |" in result.output
