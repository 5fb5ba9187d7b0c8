#!/usr/bin/env python3
"""Benchmark the applied history (issue 10) on one long daemon-style tree.

In one throwaway database, on a generated tree of ``--revisions`` revisions, side by side:

* ``upgrade`` base -> head with the history and checksums vs the same upgrade without them
  (``bench/no_history.py``: the history switched off), the database recreated before every run
  (target: ≤ 1.05×); informative: the same with a cold checksum cache (first run on a host);
* ``status`` with every applied revision's checksum verified vs ``alembic current`` vs the
  floor, one ``psql`` query (target: ≤ 0.3×).

    .venv/bin/python bench/bench_history.py --revisions 1000 --repeat 3 --upgrade-repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

UPGRADE_TARGET = 1.05
STATUS_TARGET = 0.3
BASELINE = Path(__file__).resolve().parent / "no_history.py"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each status timing")
    parser.add_argument("--upgrade-repeat", type=int, default=2, help="repeats of each upgrade")
    parser.add_argument("--tree", type=Path, help="an existing gen_tree.py output directory")
    parser.add_argument("--python", default=sys.executable, help="interpreter of both tools")
    parser.add_argument(
        "--statistic",
        choices=("median", "best"),
        default="median",
        help="wall-clock statistic of the table (best: the fastest sample, on a loaded machine)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_history_") as tmp:
        workdir = Path(tmp)
        tree = (
            gen_tree.load_tree_info(args.tree)
            if args.tree
            else gen_tree.generate_tree(
                workdir / "tree", args.revisions, version_table="alembic_version_bench"
            )
        )
        with (
            common.throwaway_role("bench_owner") as owner,
            common.throwaway_database("bench_history", owner=owner) as admin_uri,
        ):
            rows = run_benchmark(args, tree, workdir, owner, admin_uri)
    print(
        f"\n{tree.revisions} revisions, status ×{args.repeat}, upgrade ×{args.upgrade_repeat}, "
        f"{args.statistic} wall-clock, python {args.python}\n"
    )
    print(common.markdown_table(rows, peer="peer"))
    return 1 if any(row.passed is False for row in rows) else 0


def run_benchmark(
    args: argparse.Namespace, tree: gen_tree.TreeInfo, workdir: Path, owner: str, admin_uri: str
) -> list[common.Row]:
    """Measure upgrade with and without the history, and status against alembic current."""
    database = common.database_name(admin_uri)
    owner_uri = common.with_user(admin_uri, owner)
    config = common.write_tree_config(workdir / "config.yml", tree, admin_uri, owner)
    python = args.python
    ours = [python, "-m", "manage_db", "-c", str(config)]
    baseline = [python, str(BASELINE), "-c", str(config)]
    cold_cache = workdir / "cold-cache"
    cold_env = {"XDG_CACHE_HOME": str(cold_cache)}

    def reset() -> None:
        common.reset_database(database, owner)
        # The cold candidate keeps its revision-graph cache, loses its checksums.
        for path in (cold_cache / "wazo-manage-db").glob("checksums-*.json"):
            path.unlink()

    upgrade = common.measure(
        "upgrade base -> head",
        [
            common.Candidate("without history", [[*baseline, "upgrade"]], cwd=common.REPO),
            common.Candidate("wazo-manage-db", [[*ours, "upgrade"]], cwd=common.REPO),
            common.Candidate("cold checksums", [[*ours, "upgrade"]], env=cold_env, cwd=common.REPO),
        ],
        args.upgrade_repeat,
        before=reset,
        after=lambda: check_history(owner_uri, tree),
    )
    alembic_env = {"ALEMBIC_DB_URI": owner_uri}
    psql_status = common.psql_command(
        owner_uri, "-Atc", f"SELECT version_num FROM {tree.version_table}"
    )
    status = common.measure(
        "status at head",
        [
            common.Candidate(
                "alembic", [[python, "-m", "alembic", "current"]], alembic_env, tree.path
            ),
            common.Candidate("psql", [psql_status]),
            common.Candidate("wazo-manage-db", [[*ours, "status"]], cwd=common.REPO),
        ],
        args.repeat,
    )

    def wall(label: str) -> float:
        timing = upgrade[label]
        return timing.best if args.statistic == "best" else timing.median

    cold = common.Row(
        "↳ same, cold checksum cache (first run on a host; informative)",
        wall("cold checksums"),
        wall("without history"),
    )
    return [
        *common.comparison_rows(
            f"upgrade base → head, {tree.revisions} revisions, history + checksums "
            "(peer: same upgrade without them)",
            upgrade,
            UPGRADE_TARGET,
            peer="without history",
            floor=None,
            statistic=args.statistic,
        ),
        cold,
        *common.comparison_rows(
            f"status at head, checksums verified, {tree.revisions} revisions "
            "(peer: alembic current)",
            status,
            STATUS_TARGET,
            statistic=args.statistic,
        ),
    ]


def check_history(uri: str, tree: gen_tree.TreeInfo) -> None:
    """Fail loudly if a timed upgrade missed the head or wrote a wrong number of rows."""
    version = common.query_scalar(uri, f"SELECT version_num FROM {tree.version_table}")
    if version != tree.head:
        raise common.CommandFailed(f"database at {version!r} after upgrade, not {tree.head}")
    table = f"{tree.version_table}_history"
    if common.query_scalar(uri, f"SELECT to_regclass('{table}') IS NOT NULL"):
        rows = common.query_scalar(uri, f"SELECT count(*) FROM {table}")
        if rows != tree.revisions:
            raise common.CommandFailed(f"{rows} history rows, not {tree.revisions}")


if __name__ == "__main__":
    os.environ.pop("ALEMBIC_DB_URI", None)
    raise SystemExit(main())
