"""verify on pytest-alembic's own example histories, against the outcome its test suite expects.

    python bench/peer_pytest_alembic.py --peer /tmp/pytest-alembic [--python PY] [--checkout DIR]

``--peer``: a local copy of schireson/pytest-alembic (never committed here). Its
``tests/test_runner.py`` runs each ``examples/<name>`` with pytester and states the outcome:
``run_pytest(..., success=…, failed=…, test_alembic=…)`` and, for failures,
``assert_failed_test_has_content(result, test="test_…")``. The expected verdict of an example is
read from there; its settings from its ``setup.cfg``/``pytest.ini`` (``pytest_alembic_exclude``,
``pytest_alembic_include_experimental``) and ``conftest.py`` (``skip_revisions``,
``minimum_downgrade_revision``, ``before_revision_data``: rows inserted before a revision, given
to verify as ``--seed REVISION:FILE`` SQL files of INSERTs).

Comparable examples: those where pytest-alembic runs its built-in tests (``test_alembic`` true).
Its checks that verify also makes: ``test_single_head_revision`` (our ``heads`` defect),
``test_upgrade``, ``test_up_down_consistency`` and ``test_downgrade_leaves_no_trace``; a failure of
another test (``test_model_definitions_match_ddl``) is not ours to agree with, so the expected
round-trip verdict there is "pass". An excluded ``single_head_revision`` makes our ``heads``
defect ignored.

``--python``: the interpreter whose wazo-manage-db runs (default: this one); ``--checkout``: a
checkout put first on its ``PYTHONPATH`` (default: none, the interpreter's installed one). The
verify settings go in a config file; a wazo-manage-db that refuses them (before they existed) is
run again without them, and the line says so.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ADMIN_URI = os.environ.get("BENCH_ADMIN_URI", "postgresql://postgres@127.0.0.1:5432/postgres")
OURS = {
    "test_single_head_revision",
    "test_upgrade",
    "test_up_down_consistency",
    "test_downgrade_leaves_no_trace",
}


@dataclass
class Expectation:
    example: str
    comparable: bool
    fails: bool  # pytest-alembic fails one of the checks we also make
    failing_tests: tuple[str, ...]
    why: str


def expectations(peer: Path) -> list[Expectation]:
    """One per ``def test_<example>(pytester)`` of pytest-alembic's tests/test_runner.py."""
    module = ast.parse((peer / "tests" / "test_runner.py").read_text())
    found = []
    for node in module.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        if not (peer / "examples" / node.name).is_dir():
            continue
        found.append(_expectation(node))
    return found


def _expectation(node: ast.FunctionDef) -> Expectation:
    kwargs: dict[str, object] = {"success": True, "failed": 0, "test_alembic": True}
    failing: list[str] = []
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        name = getattr(call.func, "id", "")
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if name == "run_pytest":
            for key, value in keywords.items():
                if isinstance(value, ast.Constant):
                    kwargs[key] = value.value
            if "args" in keywords:  # its own test path: the built-in tests still run
                kwargs["test_alembic"] = True
        elif name == "assert_failed_test_has_content" and "test" in keywords:
            value = keywords["test"]
            if isinstance(value, ast.Constant):
                failing.append(str(value.value))
    comparable = bool(kwargs["test_alembic"])
    ours_failing = tuple(t for t in failing if t in OURS)
    fails = not kwargs["success"] and (bool(ours_failing) or not failing)
    why = (
        "its built-in tests do not run (test_alembic=False)"
        if not comparable
        else f"fails {', '.join(failing)}"
        if failing
        else ("fails" if not kwargs["success"] else "passes")
    )
    return Expectation(node.name, comparable, fails, tuple(failing), why)


def ini_settings(example: Path) -> dict[str, list[str]]:
    """pytest_alembic_exclude / include_experimental of the example, as lists of names."""
    found: dict[str, list[str]] = {}
    for name, section in (("setup.cfg", "tool:pytest"), ("pytest.ini", "pytest")):
        path = example / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser()
        parser.read(path)
        if parser.has_section(section):
            for key, value in parser.items(section):
                found[key] = [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return found


def conftest_settings(example: Path) -> dict[str, object]:
    """skip_revisions / minimum_downgrade_revision given to pytest-alembic's Config in conftest."""
    path = example / "conftest.py"
    if not path.is_file():
        return {}
    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        pairs: list[tuple[str, ast.AST]] = []
        if isinstance(node, ast.Call):
            pairs = [(k.arg, k.value) for k in node.keywords if k.arg]
        elif isinstance(node, ast.Dict):
            pairs = [
                (k.value, v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        for key, value in pairs:
            if key in ("skip_revisions", "minimum_downgrade_revision", "before_revision_data"):
                found[key] = ast.literal_eval(value)
    return found


def seed_sql(rows: object) -> str:
    """INSERTs for pytest-alembic's revision data: a row or a list of rows, each a mapping with
    ``__tablename__`` (maybe schema-qualified) and column values."""
    statements = []
    for row in rows if isinstance(rows, list) else [rows]:
        assert isinstance(row, dict)
        values = dict(row)
        table = ".".join(_quoted(part) for part in str(values.pop("__tablename__")).split("."))
        columns = ", ".join(_quoted(c) for c in values)
        literals = ", ".join(_literal(v) for v in values.values())
        statements.append(f"INSERT INTO {table} ({columns}) VALUES ({literals});")
    return "\n".join(statements) + "\n"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (bool, int, float)):
        return str(value).upper() if isinstance(value, bool) else repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def script_locations(example: Path) -> list[Path]:
    """The example's alembic directories (env.py beside a versions/ folder)."""
    return sorted(p.parent for p in example.rglob("env.py") if (p.parent / "versions").is_dir())


def run_verify(
    python: str, checkout: Path | None, example: Path, location: Path, settings: dict[str, object]
) -> tuple[int, dict | None, str]:
    """(exit code, the report, a note) of our verify on one tree."""
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    settings = dict(settings)
    data = settings.pop("before_revision_data", None) or {}
    with tempfile.TemporaryDirectory(prefix="peer_pa_") as directory:
        note = ""
        seeds = []
        for revision, rows in dict(data).items():  # type: ignore[call-overload]
            path = Path(directory) / f"seed_{revision}.sql"
            path.write_text(seed_sql(rows))
            seeds += ["--seed", f"{revision}:{path}"]
        for verify_settings in [settings, {}] if settings else [{}]:
            config = Path(directory) / "config.yml"
            config.write_text(json.dumps({"plugins": False, "verify": verify_settings}))
            done = subprocess.run(
                [python, "-m", "manage_db", "-c", str(config), "--log-file", "/dev/null",
                 "-u", "root", "verify", "--script-location", str(location),
                 "--version-table", "alembic_version", "--admin-uri", ADMIN_URI, "--json",
                 *seeds],
                cwd=example, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if done.returncode == 2 and verify_settings:
                note = f"settings {sorted(verify_settings)} refused, run without them"
                continue
            break
    try:
        reports = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return done.returncode, None, (note + " " + tail).strip()
    return done.returncode, reports[0], note


def our_verdict(report: dict | None, code: int, excluded: list[str]) -> tuple[bool, str]:
    """(fails, what) from our JSON report; a heads defect ignored when single_head is excluded."""
    if report is None:
        return True, f"exit {code}, no report"
    defects = [
        d
        for d in report["defects"]
        if not (d["step"] == "heads" and "single_head_revision" in excluded)
    ]
    what = ", ".join(f"{d['revision']} {d['step']}" for d in defects) or "clean"
    if report.get("stopped"):
        what += f"; stopped: {report['stopped']}"
    what += f" ({report['checked']}/{report['revisions']} checked)"
    return bool(defects) or report.get("stopped") is not None, what


def empty_downgrades(location: Path) -> set[str]:
    """Revisions of the tree whose ``downgrade()`` is only ``pass`` (or a docstring)."""
    found = set()
    for path in (location / "versions").glob("*.py"):
        module = ast.parse(path.read_text())
        revision = next(
            (
                n.value.value
                for n in module.body
                if isinstance(n, ast.Assign)
                and any(getattr(t, "id", "") == "revision" for t in n.targets)
                and isinstance(n.value, ast.Constant)
            ),
            None,
        )
        for node in module.body:
            if isinstance(node, ast.FunctionDef) and node.name == "downgrade":
                if all(
                    isinstance(b, ast.Pass)
                    or (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))
                    for b in node.body
                ):
                    found.add(str(revision))
    return found


def why_we_differ(report: dict | None, expected: Expectation, location: Path) -> str:
    """A known reason for a disagreement, or empty."""
    if report is None or expected.fails:
        return ""
    revisions = {d["revision"] for d in report["defects"] if d["revision"]}
    if revisions and revisions <= empty_downgrades(location):
        return (
            " -- ours is right: a downgrade() that does nothing, unseen by an up/down/up of the "
            "whole history (its test_downgrade_leaves_no_trace is not enabled here)"
        )
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, required=True, help="local copy of pytest-alembic")
    parser.add_argument("--python", default=sys.executable, help="interpreter running our tool")
    parser.add_argument("--checkout", type=Path, help="checkout first on its PYTHONPATH")
    args = parser.parse_args()
    agree = comparable = 0
    for expected in expectations(args.peer):
        example = args.peer / "examples" / expected.example
        if not expected.comparable:
            print(f"-- {expected.example}: not comparable, {expected.why}")
            continue
        ini = ini_settings(example)
        excluded = ini.get("pytest_alembic_exclude", [])
        locations = script_locations(example)
        if not locations:
            print(f"-- {expected.example}: not comparable, no alembic directory of its own")
            continue
        comparable += 1
        code, report, note = run_verify(
            args.python, args.checkout, example, locations[0], conftest_settings(example)
        )
        fails, what = our_verdict(report, code, excluded)
        same = fails == expected.fails
        agree += same
        mark = "agree" if same else "DIFFER"
        theirs = "fail" if expected.fails else "pass"
        ours = "fail" if fails else "pass"
        extra = (f" [{note}]" if note else "") + (
            "" if same else why_we_differ(report, expected, locations[0])
        )
        print(f"{mark:6} {expected.example}: pytest-alembic {theirs} ({expected.why}); "
              f"verify {ours}: {what}{extra}")  # fmt: skip
    print(f"\nagreement: {agree}/{comparable} comparable examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
