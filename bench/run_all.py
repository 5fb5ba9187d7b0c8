#!/usr/bin/env python3
"""The whole table of issue 14 in one run: every row side by side with its peer and its floor.

On one generated tree (``--revisions``), one throwaway role and database, the candidates of a
row taking turns sample by sample:

* upgrade base → head vs ``alembic upgrade head``, floor ``psql -f`` of the offline SQL (≤ 0.8×);
* status at head vs ``alembic current``, floor one ``psql`` query of the version table (≤ 0.1×,
  and ≤ 2× the floor);
* upgrade with nothing to do vs ``alembic upgrade head`` at head (≤ 0.1×);
* lint of the tree's offline ``.sql`` files (one per revision) vs squawk (≤ 1×), and cold lint
  of the revisions (≤ 1 s);
* verify vs pytest-alembic's ``test_up_down_consistency`` (≤ 0.25×);
* ``--components`` independent components × ``--component-revisions`` revisions in one database,
  upgraded from base with ``parallel`` at its default vs ``parallel: 1`` (≤ 0.6×).

Progress and raw samples go to stderr; the result table, then the README's Benchmarks rows, go
to stdout (markdown). Exit 1 when a target is missed. ``--quick``: smaller trees, fewer repeats
(a few minutes). squawk comes from ``--squawk``, the PATH or ``pip install --target`` into
/tmp; pytest-alembic from its own virtualenv in /tmp (see bench_verify.py).

    .venv/bin/python bench/run_all.py [--quick] [--python .venv-debian/bin/python]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bench_core
import bench_lint
import bench_verify
import common
import gen_tree

SQUAWK_TARGET = Path(tempfile.gettempdir()) / "bench-squawk"


@dataclass
class Line:
    """A table row and what the README row says of it: the peer's and the floor's names."""

    row: common.Row
    peer: str
    floor: str | None = None
    floor_target: float | None = None  # highest acceptable ours / floor


def find_squawk(given: str | None) -> str:
    """squawk from ``given``, the PATH, or installed with ``pip --target`` into /tmp."""
    if given:
        return given
    found = shutil.which("squawk")
    if found:
        return found
    installed = SQUAWK_TARGET / "bin" / "squawk"
    if not installed.exists():
        print(f"installing squawk-cli into {SQUAWK_TARGET}", file=sys.stderr)
        common.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(SQUAWK_TARGET),
             "squawk-cli"]
        )  # fmt: skip
    return str(installed)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options; ``--quick`` fills in the sizes and repeats left unset."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small trees, few repeats")
    parser.add_argument("--revisions", type=int, help="revisions of the tree (1000; quick 200)")
    parser.add_argument("--repeat", type=int, help="repeats of the short timings (5; quick 3)")
    parser.add_argument("--upgrade-repeat", type=int, help="repeats of the long ones (3; quick 1)")
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--component-revisions", type=int, help="(100; quick 40)")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of wazo-manage-db and alembic, e.g. .venv-debian/bin/python",
    )
    parser.add_argument("--squawk", help="the squawk executable (default: PATH, else /tmp)")
    parser.add_argument("--pytest-alembic-venv", type=Path, default=bench_verify.DEFAULT_VENV)
    parser.add_argument("--no-verify", action="store_true", help="leave the verify row out")
    args = parser.parse_args(argv)
    quick = args.quick
    args.revisions = args.revisions or (200 if quick else 1000)
    args.repeat = args.repeat or (3 if quick else 5)
    args.upgrade_repeat = args.upgrade_repeat or (1 if quick else 3)
    args.component_revisions = args.component_revisions or (40 if quick else 100)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the table and the README rows; 1 if a target is missed."""
    args = parse_args(argv)
    if os.sep in args.python:  # a path: some steps run from the tree's directory
        args.python = str(Path(args.python).absolute())
    # An installed package has its bytecode: no tool recompiles its modules at every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    squawk = find_squawk(args.squawk)
    pa_python = (
        None
        if args.no_verify
        else bench_verify.ensure_pytest_alembic_venv(args.pytest_alembic_venv)
    )
    with tempfile.TemporaryDirectory(prefix="bench_all_") as tmp:
        workdir = Path(tmp)
        tree = gen_tree.generate_tree(
            workdir / "tree", args.revisions, version_table="alembic_version_bench"
        )
        with (
            common.throwaway_role("bench_owner") as owner,
            common.throwaway_database("bench_all", owner=owner) as admin_uri,
        ):
            bench = Bench(args, tree, workdir, owner, admin_uri)
            lines = [*bench.upgrade_and_status(), *bench.lint(squawk)]
            if pa_python is not None:
                lines += bench.verify(pa_python)
            lines += bench.parallel()
    rows = [line.row for line in lines]
    print(
        f"\n{tree.revisions} revisions ({tree.tables} tables); {args.components} components × "
        f"{args.component_revisions} revisions; repeats {args.repeat} / {args.upgrade_repeat}; "
        f"median wall-clock; python {args.python}; cores {os.cpu_count()}\n"
    )
    print(common.markdown_table(rows, peer="peer"))
    print("\nREADME rows:\n")
    print(readme_rows(lines, args))
    floor_missed = any(
        line.floor_target is not None
        and line.row.ours is not None
        and line.row.floor
        and line.row.ours / line.row.floor > line.floor_target
        for line in lines
    )
    return 1 if floor_missed or any(row.passed is False for row in rows) else 0


class Bench:
    """The measurements on one tree and one throwaway database."""

    def __init__(
        self,
        args: argparse.Namespace,
        tree: gen_tree.TreeInfo,
        workdir: Path,
        owner: str,
        admin_uri: str,
    ) -> None:
        self.args = args
        self.tree = tree
        self.workdir = workdir
        self.owner = owner
        self.admin_uri = admin_uri
        self.database = common.database_name(admin_uri)
        self.owner_uri = common.with_user(admin_uri, owner)
        self.config = common.write_manage_db_config(
            workdir / "config.yml",
            self.owner_uri,
            {
                "bench": {
                    "script_location": str(tree.script_location),
                    "database": self.database,
                    "owner": owner,
                    "version_table": tree.version_table,
                }
            },
            admin=admin_uri,
        )

    def alembic(self, *words: str) -> list[str]:
        """``alembic WORDS`` of --python."""
        return [self.args.python, "-m", "alembic", *words]

    def manage_db(self, *words: str, config: Path | None = None) -> list[str]:
        """``wazo-manage-db -c CONFIG WORDS`` of --python."""
        return [self.args.python, "-m", "manage_db", "-c", str(config or self.config), *words]

    def reset(self) -> None:
        """An empty database again, same name and owner."""
        common.reset_database(self.database, self.owner)

    def upgrade_and_status(self) -> list[Line]:
        """upgrade base → head, status at head, no-op upgrade: each with alembic and psql."""
        alembic_env = {"ALEMBIC_DB_URI": self.owner_uri}
        offline = self.workdir / "upgrade.sql"
        sql = common.run(self.alembic("upgrade", "head", "--sql"), alembic_env, cwd=self.tree.path)
        offline.write_text(sql.stdout)
        psql_query = common.psql_command(
            self.owner_uri, "-Atc", f"SELECT version_num FROM {self.tree.version_table}"
        )
        upgrade = common.measure(
            "upgrade base -> head",
            [
                common.Candidate(
                    "alembic", [self.alembic("upgrade", "head")], alembic_env, self.tree.path
                ),
                common.Candidate(
                    "psql",
                    [common.psql_command(self.owner_uri, "-o", "/dev/null", "-f", str(offline))],
                ),
                common.Candidate("wazo-manage-db", [self.manage_db("upgrade")]),
            ],
            self.args.upgrade_repeat,
            before=self.reset,
            after=lambda: bench_core.check_head(self.admin_uri, self.tree),
        )
        # The last sample left the database at head: the rest find nothing to do.
        status = common.measure(
            "status at head",
            [
                common.Candidate("alembic", [self.alembic("current")], alembic_env, self.tree.path),
                common.Candidate("psql", [psql_query]),
                common.Candidate("wazo-manage-db", [self.manage_db("status")]),
            ],
            self.args.repeat,
        )
        noop = common.measure(
            "upgrade with nothing to do",
            [
                common.Candidate(
                    "alembic", [self.alembic("upgrade", "head")], alembic_env, self.tree.path
                ),
                common.Candidate("psql", [psql_query]),
                common.Candidate("wazo-manage-db", [self.manage_db("upgrade")]),
            ],
            self.args.repeat,
        )
        n = self.tree.revisions
        return [
            *_lines(
                common.comparison_rows(f"upgrade base → head, {n} revisions", upgrade, 0.8),
                "`alembic upgrade head`",
                "`psql -f` of the offline SQL",
            ),
            *_lines(
                common.comparison_rows(f"status at head, {n} revisions", status, 0.1),
                "`alembic current`",
                "one `psql` query of the version table",
                floor_target=2.0,
            ),
            *_lines(
                common.comparison_rows(f"upgrade with nothing to do, {n} revisions", noop, 0.1),
                "`alembic upgrade head`",
                "one `psql` query of the version table",
            ),
        ]

    def lint(self, squawk: str) -> list[Line]:
        """lint of the offline SQL files vs squawk; cold lint of the revisions."""
        sql_dir = self.workdir / "offline_sql"
        count = bench_lint.render_offline_sql(self.tree.path, sql_dir)
        # An installed package has its bytecode: lint's modules are compiled once, not per run.
        env = {
            "XDG_CACHE_HOME": str(self.workdir / "cache"),
            "PYTHONPATH": str(common.REPO),
            "PYTHONDONTWRITEBYTECODE": "",
        }
        lint_sql = bench_lint.lint_command(self.args.python, "--no-cache", str(sql_dir))
        lint_cold = bench_lint.lint_command(
            self.args.python, "--no-cache", str(self.tree.script_location)
        )
        common.run(lint_cold, env, ok_codes=(0, 1))  # bytecode of lint's modules
        print("\n== lint vs squawk", file=sys.stderr)
        candidates = [
            common.Candidate("wazo-manage-db", [lint_sql], env),
            common.Candidate("squawk", [[squawk, str(sql_dir / "*.sql")]]),
            common.Candidate("lint cold", [lint_cold], env),
        ]
        for candidate in candidates:
            print(candidate, file=sys.stderr)
        # Both tools exit 1 when they find something: findings are expected here.
        timings = common.time_interleaved(candidates, self.args.repeat, ok_codes=(0, 1))
        for label, timing in timings.items():
            print(f"  {label}: {timing}", file=sys.stderr)
        cold, peer = timings["lint cold"], timings["squawk"]
        return [
            *_lines(
                common.comparison_rows(
                    f"lint of the {count} offline .sql files",
                    timings,
                    1.0,
                    peer="squawk",
                    floor=None,
                ),
                "squawk",
            ),  # fmt: skip
            Line(
                common.Row(
                    f"lint cold, {count} revisions (peer: squawk on their SQL)",
                    cold.median,
                    peer.median,
                    limit=1.0,
                ),
                "squawk on the offline SQL",
            ),
            Line(
                common.Row("↳ client CPU (user+sys)", cold.cpu_median, peer.cpu_median or 0.0),
                "squawk",
            ),
        ]

    def verify(self, pa_python: Path) -> list[Line]:
        """verify vs pytest-alembic's test_up_down_consistency, same tree and database."""
        project = bench_verify.write_pytest_project(self.workdir / "pytest_alembic_project")
        config = common.write_manage_db_config(self.workdir / "verify.yml", self.owner_uri, {})
        pytest_alembic = common.Candidate(
            "pytest-alembic",
            [[str(pa_python), "-m", "pytest", "-q", "-x", "test_migrations.py"]],
            env={
                "ALEMBIC_DB_URI": self.owner_uri,
                "BENCH_ALEMBIC_INI": str(self.tree.path / "alembic.ini"),
                "BENCH_SCRIPT_LOCATION": str(self.tree.script_location),
            },
            cwd=project,
        )
        verify = common.Candidate(
            "wazo-manage-db",
            [
                self.manage_db(
                    "verify",
                    "--script-location", str(self.tree.script_location),
                    "--version-table", self.tree.version_table,
                    "--admin-uri", self.admin_uri,
                    config=config,
                )
            ],
            cwd=common.REPO,
        )  # fmt: skip
        timings = common.measure(
            f"up/down consistency, {self.tree.revisions} revisions",
            [verify, pytest_alembic],
            max(1, self.args.upgrade_repeat - 1),
            before=self.reset,
        )
        return _lines(
            common.comparison_rows(
                f"verify, {self.tree.revisions} revisions, full catalog compared at every step",
                timings,
                bench_verify.TARGET,
                peer="pytest-alembic",
                floor=None,
            ),
            "pytest-alembic `test_up_down_consistency`",
        )

    def parallel(self) -> list[Line]:
        """Independent components upgraded from base: parallel (default) vs parallel: 1."""
        count, revisions = self.args.components, self.args.component_revisions
        trees = gen_tree.generate_components(self.workdir / "components", count, revisions)
        components = {
            f"bench{i}": {
                "script_location": str(tree.script_location),
                "database": self.database,
                "owner": self.owner,
                "version_table": tree.version_table,
            }
            for i, tree in enumerate(trees)
        }
        parallel = common.write_manage_db_config(
            self.workdir / "parallel.yml", self.owner_uri, components, admin=self.admin_uri
        )
        serial = common.write_manage_db_config(
            self.workdir / "serial.yml", self.owner_uri, components, admin=self.admin_uri
        )
        with serial.open("a") as config:
            config.write("parallel: 1\n")

        def check_heads() -> None:
            for tree in trees:
                bench_core.check_head(self.admin_uri, tree)

        timings = common.measure(
            f"upgrade base -> head, {count} independent components",
            [
                common.Candidate("serial", [self.manage_db("upgrade", config=serial)]),
                common.Candidate("wazo-manage-db", [self.manage_db("upgrade", config=parallel)]),
            ],
            self.args.upgrade_repeat,
            before=self.reset,
            after=check_heads,
        )
        return _lines(
            common.comparison_rows(
                f"upgrade of {count} independent components × {revisions} revisions, "
                f"parallel: default ({os.cpu_count()} cores)",
                timings,
                0.6,
                peer="serial",
                floor=None,
            ),
            "the same, `parallel: 1`",
        )


def _lines(
    rows: list[common.Row], peer: str, floor: str | None = None, floor_target: float | None = None
) -> list[Line]:
    wall, cpu = rows
    return [Line(wall, peer, floor, floor_target), Line(cpu, peer, floor)]


def readme_rows(lines: Sequence[Line], args: argparse.Namespace) -> str:
    """The rows of the README's Benchmarks table (client-CPU rows left out)."""
    command = "`bench/run_all.py" + (" --quick" if args.quick else "")
    if args.python != sys.executable:
        python = Path(args.python)
        shown = python.relative_to(common.REPO) if python.is_relative_to(common.REPO) else python
        command += f" --python {shown}"
    command += "`"
    out = [
        "| measurement | wazo-manage-db | peer | ratio | target | command |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for line in lines:
        row = line.row
        if row.measurement.startswith("↳") or row.ours is None:
            continue
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}×"
        if row.floor:
            floor = f"{row.ours / row.floor:.1f}× {line.floor}, {common.format_seconds(row.floor)}"
            ratio += f" ({floor})"
        target = row.target_text
        if line.floor_target is not None:
            target += f", ≤ {line.floor_target:g}× floor"
        out.append(
            f"| {row.measurement} | {common.format_seconds(row.ours)} "
            f"| {line.peer} {common.format_seconds(row.peer)} | {ratio} | {target} | {command} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
