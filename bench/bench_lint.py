#!/usr/bin/env python3
"""Benchmark ``wazo-manage-db lint`` side by side with squawk, in one interleaved run.

* real-sized SQL: ``lint`` and ``squawk`` on the same ``.sql`` files: ``--sql-files DIR`` (e.g.
  old platform dumps), else a generated 3,000-line pg_dump-style baseline (tables, COPY data,
  accented text before PL/pgSQL functions, two GRANTs); target ≤ 2× squawk;
* start-up: ``lint`` and ``squawk`` on one small ``.sql`` file (a migration's few statements),
  no cache; target ≤ 3× squawk (what a pre-commit hook or an editor pays per file);
* ``lint`` cold on a generated tree of ``--revisions`` revisions (or ``--tree``): no cache, all
  rules, op.* calls rendered offline; target ≤ 1.5 s;
* ``lint`` warm (every file unchanged, answered from the cache): target ≤ 0.3 s;
* the tree's offline SQL, one file per revision, rendered once in-process by alembic
  (``upgrade base:head --sql``, split at each ``-- Running upgrade``, not timed): ``lint`` and
  ``squawk`` (squawk-cli from PyPI) on those files, target ≤ 2×. The cold and warm rows show
  their ratio to squawk on those files too, though lint does more there (it reads the Python,
  renders the op.* calls and checks history).

Each measurement has a second row, the client CPU (user+sys), steadier on a loaded machine. No
database is needed. Prints a markdown table; exits 1 when a target is missed. The start-up row
names the install it measured: an editable install's interpreter runs setuptools' finder in
``site`` (about 10 ms of imports a wheel or .deb install does not start with, though lint
imports most of them itself).

    .venv/bin/python bench/bench_lint.py --revisions 1000 --repeat 3 [--sql-files DIR]

``--startup`` measures the start-up row only, with its floor: the interpreter alone, then each
stage of a ``lint`` of one small .sql file imported in turn (the standard library modules it
uses, settings and command line, the lint engine, the SQL reading, pglast's parser, the
statement rules), then the whole run, then the least any Python program parsing the file
with pglast does (``-I``, json and pglast's C parser);
each stage's median and what it adds (client CPU), interleaved:

    .venv/bin/python bench/bench_lint.py --startup --repeat 21 [--python PYTHON] [--before DIR]

(``--before DIR``: another checkout's whole run, e.g. ``git archive main | tar x -C DIR``,
interleaved with the others, and the ratio.)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

COLD_TARGET = 1.5
WARM_TARGET = 0.3
SQUAWK_TARGET = 2.0
SMALL_TARGET = 3.0
# One small migration file, as a pre-commit hook passes them.
SMALL_SQL = """SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY ix_users_email ON users (email);
ALTER TABLE users ADD COLUMN nickname text;
"""
_RUNNING = re.compile(r"^-- Running upgrade (\S*) -> (\S+)", re.MULTILINE)


def lint_command(python: str, *args: str) -> list[str]:
    """``wazo-manage-db lint`` run by ``python``."""
    return [python, "-m", "manage_db", "lint", *args]


def render_offline_sql(tree: Path, out: Path) -> int:
    """Write each revision's offline upgrade SQL to ``out/<n>_<rev>.sql``; return the count.

    One in-process ``alembic upgrade base:head --sql`` through the tree's own env.py.
    """
    from alembic import command
    from alembic.config import Config

    config = Config(str(tree / "alembic.ini"))
    buffer = io.StringIO()
    previous = os.environ.get("ALEMBIC_DB_URI")
    os.environ["ALEMBIC_DB_URI"] = "postgresql://bench@localhost/bench"  # offline: not used
    try:
        with contextlib.redirect_stdout(buffer):
            command.upgrade(config, "head", sql=True)
    finally:
        if previous is None:
            os.environ.pop("ALEMBIC_DB_URI", None)
        else:
            os.environ["ALEMBIC_DB_URI"] = previous
    text = buffer.getvalue()
    marks = list(_RUNNING.finditer(text))
    out.mkdir(parents=True, exist_ok=True)
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        (out / f"{index:05d}_{mark.group(2)}.sql").write_text(text[mark.start() : end])
    return len(marks)


def write_dump(path: Path, lines: int = 3000) -> None:
    """A pg_dump-style baseline of about ``lines`` lines: accented text before functions."""
    out = ["-- Base de données de la plateforme : schéma et données initiales (générées)", ""]
    table = 0
    while len(out) < lines * 0.72:
        table += 1
        name = f"téléphone_{table:03d}" if table % 7 == 0 else f"table_{table:03d}"
        columns = ",\n".join(f"    \"col_{c}\" varchar(64) NOT NULL DEFAULT ''" for c in range(8))
        out += [f'CREATE TABLE "{name}" (\n    "id" serial PRIMARY KEY,\n{columns}\n);', ""]
        out += [
            f"INSERT INTO \"{name}\" VALUES (DEFAULT, 'reçu', 'été', 'à {i}', 'd''accord', "
            "'Noël', 'crème', 'garçon', 'où');"
            for i in range(12)
        ]
        out += [f'COPY "{name}" ("id", "col_0") FROM stdin;']
        out += [f"{i}\tmessage numéro {i} reçu à l'accueil" for i in range(12)]
        out += ["\\.", "", f'CREATE INDEX "{name}__idx__col_0" ON "{name}" ("col_0");', ""]
    for function in range(len(out) // 200 + 1):
        out += [
            f'CREATE FUNCTION "fill_calls_{function}"(period_start text, period_end text)',
            "  RETURNS void AS",
            "$$",
            "DECLARE",
            '    "numéro" text;',
            "BEGIN",
            "    -- met à jour les appels de la période",
            "    IF period_start IS NULL THEN",
            "        RETURN;",
            "    END IF;",
            '    UPDATE "table_001" SET "col_1" = period_end WHERE "col_0" = period_start;',
            "    EXECUTE format('DELETE FROM %I WHERE col_0 = %L', 'table_002', period_start);",
            "END;",
            "$$ LANGUAGE plpgsql;",
            "",
        ]
    out += [
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO asterisk;",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO asterisk;",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# The stages of a lint of one .sql file, each importing what the one before it did and more.
_STAGES = (
    ("interpreter (`-c pass`)", "pass"),
    (
        "+ the standard library a run imports (re, typing, pathlib, dataclasses, json, ...)",
        "import re, typing, pathlib, dataclasses, json, hashlib, decimal, bisect, copy, contextlib",
    ),
    ("+ launcher, settings (config.py)", "import manage_db.launcher"),
    (
        "+ lint's command line and engine (service, policy, notifier)",
        "import manage_db.launcher, manage_db.commands.lint_plain, manage_db.lint.notifier",
    ),
    ("+ SQL reading (lint/analysis, sql/parse)", "import manage_db.lint.analysis"),
    ("+ pglast's parser", "from manage_db.sql.parse import _pglast_parser; _pglast_parser()"),
    ("+ the statement rules", "from manage_db.lint import rules; rules.statement_rules()"),
)


# The least a Python program can do to parse the file with pglast, for the floor: the
# interpreter, json and pglast's C parser (its package's __init__, Python tree and enums not run).
_PARSE_ONLY = """import sys, json, types, importlib.util
spec = importlib.util.find_spec("pglast")
package = sys.modules["pglast"] = types.ModuleType("pglast")
package.__path__ = list(spec.submodule_search_locations)
for name in ("ast", "enums"):
    setattr(package, name, types.ModuleType("pglast." + name))
    sys.modules["pglast." + name] = getattr(package, name)
import pglast.error; package.Error = pglast.error.Error
import pglast.parser
json.loads(pglast.parser.parse_sql_json(open(sys.argv[1]).read()))
"""


def install_kind(python: str) -> str:
    """``editable install`` when setuptools' editable finder runs in ``python``'s site, else
    ``regular install``."""
    probe = "import sys; print(any(m.startswith('__editable__') for m in sys.modules))"
    out = common.run([python, "-c", probe]).stdout.strip()
    return "editable install" if out == "True" else "regular install"


def startup_breakdown(python: str, squawk: str, repeat: int, before: Path | None = None) -> int:
    """The start-up row and its floor, stage by stage (see the module's docstring); with
    ``before``, that checkout's whole run too (its code on PYTHONPATH, the same interpreter)."""
    python = os.path.abspath(python)  # the runs start in a scratch folder (symlinks kept)
    with tempfile.TemporaryDirectory(prefix="bench_lint_startup_") as workdir_name:
        workdir = Path(workdir_name)
        small = workdir / "0042_add_nickname.sql"
        small.write_text(SMALL_SQL)
        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO),
               "PYTHONDONTWRITEBYTECODE": ""}  # fmt: skip
        code = ""
        candidates = []
        for label, statement in _STAGES:
            code = f"{code}; {statement}" if code else statement
            candidates.append(common.Candidate(label, [[python, "-c", code]], env, workdir))
        run = [lint_command(python, "--no-cache", small.name)]
        candidates.append(
            common.Candidate("whole run: `lint --no-cache FILE.sql`", run, env, workdir)
        )
        if before is not None:
            earlier = {**env, "PYTHONPATH": str(before.resolve())}
            candidates.append(
                common.Candidate(f"whole run, checkout {before}", run, earlier, workdir)
            )
        parse_only = [[python, "-I", "-c", _PARSE_ONLY, small.name]]
        label = "floor: `-I`, json and pglast's C parser parsing the file, nothing else"
        candidates.append(common.Candidate(label, parse_only, None, workdir))
        candidates.append(
            common.Candidate("squawk FILE.sql", [[squawk, small.name]], None, workdir)
        )
        for candidate in candidates:  # bytecode written once, not timed
            common.run(candidate.commands[0], candidate.env, workdir, ok_codes=(0, 1))
        timings = common.time_interleaved(candidates, repeat, ok_codes=(0, 1))
    print(f"{python} ({install_kind(python)}); load average {os.getloadavg()[0]:.1f}; "
          f"{repeat} runs each\n")  # fmt: skip
    _print_stages(candidates, timings)
    ours = timings[candidates[len(_STAGES)].label]
    peer = timings[candidates[-1].label]
    cpu_ratio = (ours.cpu_median or 0) / (peer.cpu_median or 1)
    print(f"\nlint / squawk: {ours.median / peer.median:.1f}× (CPU {cpu_ratio:.1f}×; "
          f"target ≤ {SMALL_TARGET:g}×)")  # fmt: skip
    floor = timings[candidates[-2].label]
    print(f"floor (parse only) / squawk: {floor.median / peer.median:.1f}× (CPU "
          f"{(floor.cpu_median or 0) / (peer.cpu_median or 1):.1f}×); lint / floor: "
          f"{ours.median / floor.median:.1f}×")  # fmt: skip
    if before is not None:
        old = timings[candidates[len(_STAGES) + 1].label]
        print(f"this checkout / {before}: {ours.median / old.median:.2f}× (CPU "
              f"{(ours.cpu_median or 0) / (old.cpu_median or 1):.2f}×)")  # fmt: skip
    return 0 if ours.median / peer.median <= SMALL_TARGET else 1


def _print_stages(candidates: list[common.Candidate], timings: dict[str, common.Timing]) -> None:
    print("| stage | median wall | median CPU | CPU added |\n|---|---:|---:|---:|")
    previous = 0.0
    for index, candidate in enumerate(candidates):
        timing = timings[candidate.label]
        cpu = timing.cpu_median or 0.0
        added = f"{(cpu - previous) * 1000:+.1f} ms" if index < len(_STAGES) else ""
        previous = cpu if index < len(_STAGES) else previous
        print(f"| {candidate.label} | {common.format_seconds(timing.median)} | "
              f"{cpu * 1000:.1f} ms | {added} |")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="an existing gen_tree.py output directory")
    parser.add_argument("--sql-files", type=Path, help="a directory of real-sized .sql files")
    parser.add_argument("--python", default=sys.executable, help="interpreter running lint")
    parser.add_argument(
        "--squawk", default=shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    )
    parser.add_argument(
        "--startup", action="store_true", help="the start-up row only, stage by stage"
    )
    parser.add_argument(
        "--before", type=Path, help="with --startup: a checkout whose whole run is timed too"
    )
    args = parser.parse_args(argv)
    if args.startup:
        return startup_breakdown(args.python, args.squawk, args.repeat, args.before)

    with tempfile.TemporaryDirectory(prefix="bench_lint_") as workdir_name:
        workdir = Path(workdir_name)
        if args.tree is None:
            gen_tree.generate_tree(workdir / "tree", args.revisions)
            tree = workdir / "tree"
        else:
            tree = args.tree
        script_location = tree / "alembic"
        sql_dir = workdir / "offline_sql"
        count = render_offline_sql(tree, sql_dir)
        print(f"{count} revisions rendered to {sql_dir}", file=sys.stderr)
        real_dir = args.sql_files
        if real_dir is None:
            real_dir = workdir / "dump"
            write_dump(real_dir / "baseline.sql")
        real_files = sorted(real_dir.glob("*.sql"))
        real_lines = sum(len(p.read_text(errors="replace").splitlines()) for p in real_files)
        print(f"{len(real_files)} real-sized SQL file(s), {real_lines} lines", file=sys.stderr)

        # An installed package has its bytecode: let lint's modules be compiled once, not per run.
        env = {
            "XDG_CACHE_HOME": str(workdir / "cache"),
            "PYTHONPATH": str(common.REPO),
            "PYTHONDONTWRITEBYTECODE": "",
        }
        small = workdir / "small" / "0042_add_nickname.sql"
        small.parent.mkdir()
        small.write_text(SMALL_SQL)
        lint = functools.partial(lint_command, args.python)
        candidates = [
            common.Candidate("lint small SQL", [lint("--no-cache", str(small))], env),
            common.Candidate("squawk small SQL", [[args.squawk, str(small)]]),
            common.Candidate("lint real SQL", [lint("--no-cache", str(real_dir))], env),
            common.Candidate("squawk real SQL", [[args.squawk, str(real_dir / "*.sql")]]),
            common.Candidate("lint cold", [lint("--no-cache", str(script_location))], env),
            common.Candidate("lint warm", [lint(str(script_location))], env),
            common.Candidate("lint offline SQL", [lint("--no-cache", str(sql_dir))], env),
            common.Candidate("squawk offline SQL", [[args.squawk, str(sql_dir / "*.sql")]]),
        ]
        warm = next(c for c in candidates if c.label == "lint warm")
        common.run(warm.commands[0], env, ok_codes=(0, 1))  # fill cache and bytecode
        print("\n== lint vs squawk", file=sys.stderr)
        for candidate in candidates:
            print(candidate, file=sys.stderr)
        # Both tools exit 1 when they find something: findings are expected here.
        timings = common.time_interleaved(candidates, args.repeat, ok_codes=(0, 1))
        for label, timing in timings.items():
            print(f"  {label}: {timing}", file=sys.stderr)

    def rows(label: str, ours: str, peer: str, target: float | None = None) -> list[common.Row]:
        return [
            common.Row(label, timings[ours].median, timings[peer].median, target=target),
            common.Row(
                "↳ client CPU (user+sys)",
                timings[ours].cpu_median,
                timings[peer].cpu_median or 0.0,
            ),
        ]

    real = f"lint of {len(real_files)} real-sized SQL file(s), {real_lines} lines"
    table = [
        *rows(
            f"lint of one small .sql file (start-up; {install_kind(args.python)})",
            "lint small SQL",
            "squawk small SQL",
            SMALL_TARGET,
        ),
        *rows(real, "lint real SQL", "squawk real SQL", SQUAWK_TARGET),
        *rows(f"lint cold, {count} revisions, all rules", "lint cold", "squawk offline SQL"),
        *rows("lint warm (unchanged files, cache)", "lint warm", "squawk offline SQL"),
        *rows(
            f"lint of the {count} offline .sql files",
            "lint offline SQL",
            "squawk offline SQL",
            SQUAWK_TARGET,
        ),
    ]
    print(common.markdown_table(table, peer="squawk (same SQL)"))
    absolute = [
        ("lint cold", timings["lint cold"].median, COLD_TARGET),
        ("lint warm", timings["lint warm"].median, WARM_TARGET),
    ]
    print()
    print("| absolute | median | target | result |\n|---|---:|---:|---|")
    failed = any(row.passed is False for row in table)
    for label, value, target in absolute:
        ok = value <= target
        failed |= not ok
        print(f"| {label} | {common.format_seconds(value)} | ≤ {target:g} s | "
              f"{'pass' if ok else '**FAIL**'} |")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
