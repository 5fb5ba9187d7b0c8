#!/usr/bin/env python3
"""Two checkouts of wazo-manage-db side by side: did a change move status, upgrade, lint, verify?

Each checkout is named by an interpreter that imports it (a venv with that checkout installed
in place, e.g. ``git worktree add /tmp/before REV`` plus ``pip install -e``). Both run the same
commands on the same generated tree and server, interleaved sample by sample, so the machine's
load falls on both alike. A row passes when ``after`` is within ``--noise`` of ``before``
(default 1.10×): a refactoring should not be slower.

    .venv/bin/python bench/bench_checkouts.py --before /tmp/before/.venv/bin/python \\
        --after .venv/bin/python [--revisions 1000] [--verify-revisions 200] [--repeat 5] \\
        [--only verify ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common
import gen_tree

ROWS = ("status", "upgrade with nothing to do", "upgrade base → head", "lint, no cache", "verify")
# --only's names of ROWS, in the same order.
KEYS = ("status", "noop", "upgrade", "lint", "verify")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="interpreter of the reference checkout")
    parser.add_argument("--after", default=sys.executable, help="interpreter of the new one")
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--verify-revisions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="samples of the short commands")
    parser.add_argument("--upgrade-repeat", type=int, default=3, help="samples of the long ones")
    parser.add_argument("--noise", type=float, default=1.10, help="highest after/before ratio")
    parser.add_argument(
        "--only",
        action="append",
        choices=KEYS,
        help="measure only this row (repeatable): " + ", ".join(KEYS),
    )
    args = parser.parse_args(argv)
    # Installed packages have their bytecode: neither checkout recompiles its modules per run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    pythons = {
        "before": str(Path(args.before).absolute()),
        "after": str(Path(args.after).absolute()),
    }
    with tempfile.TemporaryDirectory(prefix="bench_checkouts_") as tmp:
        rows = run(args, pythons, Path(tmp))
    print(f"\nbefore: {pythons['before']}\nafter: {pythons['after']}\n")
    print(common.markdown_table(rows, peer="before"))
    return 1 if any(row.passed is False for row in rows) else 0


def run(args: argparse.Namespace, pythons: dict[str, str], workdir: Path) -> list[common.Row]:
    tree = gen_tree.generate_tree(workdir / "tree", args.revisions, version_table="alembic_bench")
    small = gen_tree.generate_tree(
        workdir / "small", args.verify_revisions, version_table="alembic_bench"
    )
    rows: list[common.Row] = []
    with (
        common.throwaway_role("bench_owner") as owner,
        common.throwaway_database("bench_checkouts", owner=owner) as admin_uri,
    ):
        database = common.database_name(admin_uri)
        config = common.write_tree_config(workdir / "config.yml", tree, admin_uri, owner)

        def candidates(*words: str) -> list[common.Candidate]:
            return [
                # Not from a checkout's directory: `-m` would import that checkout's manage_db
                # whatever the interpreter has installed.
                common.Candidate(label, [[python, "-m", "manage_db", *words]], cwd=workdir)
                for label, python in pythons.items()
            ]

        def reset() -> None:
            common.reset_database(database, owner)

        wanted = set(args.only or KEYS)

        def row(key: str, words: list[str], repeat: int, **options: Any) -> None:
            if key not in wanted:
                return
            title = ROWS[KEYS.index(key)]
            timings = common.measure(title, candidates(*words), repeat, **options)
            rows.extend(
                common.comparison_rows(
                    title, timings, args.noise, ours="after", peer="before", floor=None
                )
            )

        at_head = ["-c", str(config)]
        row("upgrade", [*at_head, "upgrade"], args.upgrade_repeat, before=reset)
        if "upgrade" not in wanted and wanted & {"status", "noop"}:
            common.run(candidates(*at_head, "upgrade")[-1].commands[0], cwd=workdir)  # untimed
        row("status", [*at_head, "status"], args.repeat)
        row("noop", [*at_head, "upgrade"], args.repeat)
        lint = ["--log-file", "/dev/null", "lint", "--no-cache", str(tree.script_location)]
        row("lint", lint, args.repeat)
        verify = [
            *at_head, "verify",
            "--script-location", str(small.script_location),
            "--version-table", small.version_table,
            "--admin-uri", common.admin_uri(),
        ]  # fmt: skip
        row("verify", verify, args.upgrade_repeat)
    return rows


if __name__ == "__main__":
    sys.exit(main())
