#!/usr/bin/env python3
"""Benchmark wazo-manage-db over many components against one alembic call each (issue 3).

``--components`` trees of ``--revisions`` revisions share one throwaway database, each with
its own version table and object prefix (see gen_tree.py).  Measured, all at head:

* one ``wazo-manage-db status`` over every component vs one ``alembic current`` per tree,
  run one after the other (target: ≤ 0.2×), the floor being one ``psql`` query reading
  every version table;
* informative: one ``wazo-manage-db upgrade`` of every component from base vs one
  ``alembic upgrade head`` per tree.

    .venv/bin/python bench/bench_components.py --components 10 --revisions 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

STATUS_TARGET = 0.2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--revisions", type=int, default=100, help="revisions per component")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of each status timing")
    parser.add_argument("--upgrade-repeat", type=int, default=3, help="0 skips the upgrade row")
    parser.add_argument(
        "--trees",
        type=Path,
        help="an existing `gen_tree.py --components K` output directory",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter of both tools")
    parser.add_argument("--dry-run", action="store_true", help="measure alembic and psql only")
    parser.add_argument(
        "--statistic",
        choices=("median", "best"),
        default="median",
        help="wall-clock statistic of the table (best: the fastest sample, on a loaded machine)",
    )
    parser.add_argument("--profile", action="store_true", help="profile wazo-manage-db status")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_components_") as tmp:
        workdir = Path(tmp)
        if args.trees:
            trees = [
                gen_tree.load_tree_info(path)
                for path in sorted(args.trees.glob("component_*"), key=_component_index)
            ]
        else:
            trees = gen_tree.generate_components(workdir / "trees", args.components, args.revisions)
        with (
            common.throwaway_role("bench_owner") as owner,
            common.throwaway_database("bench_components", owner=owner) as admin_uri,
        ):
            rows = run_benchmark(args, trees, workdir, owner, admin_uri)
    print(
        f"\n{len(trees)} components × {trees[0].revisions} revisions in one database, "
        f"status ×{args.repeat}, upgrade ×{args.upgrade_repeat}, {args.statistic} wall-clock, "
        f"python {args.python}\n"
    )
    print(common.markdown_table(rows, peer=f"{len(trees)} × alembic"))
    return 1 if any(row.passed is False for row in rows) else 0


def _component_index(path: Path) -> int:
    return int(path.name.rpartition("_")[2])


def run_benchmark(
    args: argparse.Namespace,
    trees: list[gen_tree.TreeInfo],
    workdir: Path,
    owner: str,
    admin_uri: str,
) -> list[common.Row]:
    """Measure status (and upgrade) over every component; return the table rows."""
    database = common.database_name(admin_uri)
    owner_uri = common.with_user(admin_uri, owner)
    alembic_env = {"ALEMBIC_DB_URI": owner_uri}
    config = common.write_manage_db_config(
        workdir / "config.yml",
        owner_uri,
        {
            f"bench{i}": {
                "script_location": str(tree.script_location),
                "database": database,
                "owner": owner,
                "version_table": tree.version_table,
            }
            for i, tree in enumerate(trees)
        },
        admin=admin_uri,
    )
    python = args.python
    manage_db = [python, "-m", "manage_db", "-c", str(config)]

    def alembic_each(*words: str) -> list[list[str]]:
        return [
            [python, "-m", "alembic", "-c", str(tree.path / "alembic.ini"), *words]
            for tree in trees
        ]

    def reset() -> None:
        common.reset_database(database, owner)

    def check_heads() -> None:
        for tree in trees:
            version = common.query_scalar(
                admin_uri, f"SELECT version_num FROM {tree.version_table}"
            )
            if version != tree.head:
                raise common.CommandFailed(f"{tree.version_table} at {version!r}, not {tree.head}")

    skip = ("wazo-manage-db",) if args.dry_run else ()
    upgrade: dict[str, common.Timing] = {}
    if args.upgrade_repeat:
        upgrade = common.measure(
            "upgrade base -> head, every component",
            [
                common.Candidate("alembic", alembic_each("upgrade", "head"), alembic_env),
                common.Candidate("wazo-manage-db", [[*manage_db, "upgrade"]]),
            ],
            args.upgrade_repeat,
            skip,
            before=reset,
            after=check_heads,
        )
    else:
        for command in alembic_each("upgrade", "head"):
            common.run(command, alembic_env)
        check_heads()

    union = " UNION ALL ".join(f"SELECT version_num FROM {tree.version_table}" for tree in trees)
    status = common.measure(
        "status at head, every component",
        [
            common.Candidate("alembic", alembic_each("current"), alembic_env),
            common.Candidate("psql", [common.psql_command(owner_uri, "-Atc", union)]),
            common.Candidate("wazo-manage-db", [[*manage_db, "status"]]),
        ],
        args.repeat,
        skip,
    )

    if args.profile and not args.dry_run:
        print("\n== profile of wazo-manage-db status", file=sys.stderr)
        print(common.profile_import_time([*manage_db, "status"]), file=sys.stderr)
        print(common.profile_cprofile([*manage_db, "status"]), file=sys.stderr)

    rows = common.comparison_rows(
        f"status at head, {len(trees)} components (peer: alembic current per tree)",
        status,
        STATUS_TARGET,
        statistic=args.statistic,
    )
    if upgrade:
        rows += common.comparison_rows(
            f"upgrade base → head, {len(trees)} components (informative)",
            upgrade,
            None,
            floor=None,
            statistic=args.statistic,
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
