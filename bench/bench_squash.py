#!/usr/bin/env python3
"""Benchmark ``wazo-manage-db squash`` side by side with one ``upgrade`` base → head.

A generated daemon-style tree of ``--revisions`` revisions. Taking turns, on the same server:

* ``squash --to <the revision --keep before the head>``: the history built twice up to it (to
  find the values generated per install), the first build dumped, the baseline written into a
  copy of the tree and proved (a build of the copy against the old history, at the baseline and
  at the heads), then the tree rewritten; the tree is put back (untimed) after each sample;
* ``upgrade``: one upgrade of a fresh database from base to head (dropped and made again,
  untimed, before each sample).

Target: squash at most 3× the upgrade. Prints a markdown table; exits 1 when it is missed.

    .venv/bin/python bench/bench_squash.py --revisions 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

TARGET = 3.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--keep", type=int, default=10, help="revisions left after the baseline")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from manage_db.dao.revision_files import load_graph

    with (
        tempfile.TemporaryDirectory(prefix="bench_squash_") as workdir_name,
        common.throwaway_role() as role,
        common.throwaway_database("bench_squash", owner=role) as database_uri,
    ):
        workdir = Path(workdir_name)
        info = gen_tree.generate_tree(workdir / "tree", args.revisions)
        pristine = workdir / "pristine"
        shutil.copytree(workdir / "tree", pristine)
        order = load_graph(info.script_location, use_cache=False).history()
        target = order[len(order) - 1 - args.keep].revision
        config = common.write_tree_config(workdir / "config.yml", info, database_uri, role)
        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO)}
        base = ["-c", str(config)]
        squash = common.Candidate(
            "squash",
            [common.manage_db_command(*base, "squash", "--component", "bench", "--to", target)],
            env,
        )
        upgrade = common.Candidate("upgrade", [common.manage_db_command(*base, "upgrade")], env)
        database = common.database_name(database_uri)

        def reset() -> None:
            common.reset_database(database, owner=role)
            shutil.rmtree(workdir / "tree")
            shutil.copytree(pristine, workdir / "tree")

        timings = common.measure(
            f"squash of {args.revisions} revisions (to {target}) vs upgrade base -> head",
            [squash, upgrade],
            args.repeat,
            before=reset,
        )

    rows = common.comparison_rows(
        f"squash of {args.revisions} revisions ({args.keep} kept after the baseline)",
        timings,
        TARGET,
        ours="squash",
        peer="upgrade",
        floor=None,
    )
    print(common.markdown_table(rows, peer="upgrade base → head"))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
