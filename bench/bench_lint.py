#!/usr/bin/env python3
"""Benchmark ``wazo-manage-db lint`` on a long daemon-style tree, side by side with squawk.

On a generated tree of ``--revisions`` revisions (or ``--tree``):

* ``lint`` cold (no cache, all rules, op.* calls rendered offline): target ≤ 1.5 s;
* ``lint`` warm (every file unchanged, answered from the cache): target ≤ 0.3 s;
* ``squawk`` (squawk-cli from PyPI) on the same revisions' offline SQL, one file per revision,
  rendered once in-process by alembic (``upgrade base:head --sql``, split at each
  ``-- Running upgrade``), not timed;
* ``lint`` on those same SQL files: the like-for-like comparison, target ≤ 2× squawk. The
  cold and warm rows show their ratio to squawk too, though lint does more there (it reads the
  Python, renders the op.* calls and checks history).

No database is needed. Prints a markdown table; exits 1 when a target is missed.

    .venv/bin/python bench/bench_lint.py --revisions 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import contextlib
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tree", type=Path, help="an existing gen_tree.py output directory")
    parser.add_argument("--python", default=sys.executable, help="interpreter running lint")
    parser.add_argument(
        "--squawk", default=shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    )
    args = parser.parse_args(argv)

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

        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO)}
        findings = (0, 1)
        cold = common.Candidate(
            "lint cold", [lint_command(args.python, "--no-cache", str(script_location))], env
        )
        warm = common.Candidate("lint warm", [lint_command(args.python, str(script_location))], env)
        squawk = common.Candidate("squawk", [[args.squawk, str(sql_dir / "*.sql")]])  # its own glob
        on_sql = common.Candidate(
            "lint on the SQL files", [lint_command(args.python, "--no-cache", str(sql_dir))], env
        )
        common.run(warm.commands[0], env, ok_codes=findings)  # fill the cache
        print("\n== lint vs squawk", file=sys.stderr)
        for candidate in (cold, warm, squawk, on_sql):
            print(candidate, file=sys.stderr)
        timings = common.time_interleaved(
            [cold, warm, squawk, on_sql], args.repeat, ok_codes=(0, 1)
        )
        for label, timing in timings.items():
            print(f"  {label}: {timing}", file=sys.stderr)
        medians = {label: timing.median for label, timing in timings.items()}

    peer = medians["squawk"]
    rows = [
        common.Row(f"lint cold, {count} revisions, all rules", medians["lint cold"], peer),
        common.Row("lint warm (unchanged files, cache)", medians["lint warm"], peer),
        common.Row(f"lint of the {count} offline .sql files", medians["lint on the SQL files"],
                   peer, target=SQUAWK_TARGET),
    ]  # fmt: skip
    print(common.markdown_table(rows, peer="squawk (offline SQL)"))
    absolute = [
        ("lint cold", medians["lint cold"], COLD_TARGET),
        ("lint warm", medians["lint warm"], WARM_TARGET),
    ]
    print()
    print("| absolute | median | target | result |\n|---|---:|---:|---|")
    failed = any(row.passed is False for row in rows)
    for label, value, target in absolute:
        ok = value <= target
        failed |= not ok
        print(f"| {label} | {common.format_seconds(value)} | ≤ {target:g} s | "
              f"{'pass' if ok else '**FAIL**'} |")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
