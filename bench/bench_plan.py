#!/usr/bin/env python3
"""Benchmark ``wazo-manage-db plan`` side by side with ``upgrade --sql`` on the same revisions.

A generated tree of ``--applied`` + ``--revisions`` revisions; the database is first upgraded
(untimed) through the ``--applied`` first ones, so that the ``--revisions`` pending ones meet
live tables with rows. Then, taking turns:

* ``plan``: every pending revision's statements, locks, live table facts and data checks, in
  one read-only transaction;
* ``upgrade --sql --from <current>``: alembic's offline rendering of the same revisions.

Target: plan at most 2× upgrade --sql. Prints a markdown table; exits 1 when it is missed.

    .venv/bin/python bench/bench_plan.py --revisions 1000 --applied 200 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

TARGET = 2.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000, help="pending revisions")
    parser.add_argument("--applied", type=int, default=200, help="revisions applied first")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from manage_db.dao.revision_files import load_graph

    with (
        tempfile.TemporaryDirectory(prefix="bench_plan_") as workdir_name,
        common.throwaway_role() as role,
        common.throwaway_database("bench_plan", owner=role) as database_uri,
    ):
        workdir = Path(workdir_name)
        info = gen_tree.generate_tree(workdir / "tree", args.applied + args.revisions)
        location = workdir / "tree" / "alembic"
        graph = load_graph(location)
        order = graph.pending((), graph.heads())
        start = order[args.applied - 1]
        owner_uri = common.with_user(database_uri, role)
        config = common.write_manage_db_config(
            workdir / "config.yml",
            owner_uri,
            {
                "bench": {
                    "script_location": str(location),
                    "database": common.database_name(database_uri),
                    "owner": role,
                    "version_table": info.version_table,
                }
            },
        )
        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO)}
        base = ["-c", str(config)]
        print(f"applying the first {args.applied} revisions (untimed)", file=sys.stderr)
        common.run(common.manage_db_command(*base, "upgrade", start), env)
        plan = common.Candidate("plan", [common.manage_db_command(*base, "plan")], env)
        offline = common.Candidate(
            "upgrade --sql",
            [common.manage_db_command(*base, "upgrade", "--sql", "--from", start)],
            env,
        )
        proc = common.run([*plan.commands[0], "--json"], env, ok_codes=(0, 1))
        [planned] = json.loads(proc.stdout)
        verdicts = Counter(r["verdict"] for r in planned["revisions"])
        on_live = sum(1 for r in planned["revisions"] for s in r["statements"] if s["table"])
        checks = sum(len(s["checks"]) for r in planned["revisions"] for s in r["statements"])
        print(
            f"plan: {len(planned['revisions'])} pending, {dict(verdicts)}; {on_live} statements "
            f"on {len(planned['tables'])} live tables, {checks} data checks",
            file=sys.stderr,
        )
        print("\n== plan vs upgrade --sql", file=sys.stderr)
        for candidate in (plan, offline):
            print(candidate, file=sys.stderr)
        timings = common.time_interleaved([plan, offline], args.repeat, ok_codes=(0, 1))
        for label, timing in timings.items():
            print(f"  {label}: {timing}", file=sys.stderr)

    rows = common.comparison_rows(
        f"plan of {args.revisions} pending revisions ({args.applied} applied)",
        timings,
        TARGET,
        ours="plan",
        peer="upgrade --sql",
        floor=None,
    )
    print(common.markdown_table(rows, peer="upgrade --sql (same revisions)"))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
