#!/usr/bin/env python3
"""Benchmark ``wazo-manage-db verify`` against pytest-alembic's ``test_up_down_consistency``.

On a generated tree of ``--revisions`` revisions (or ``--tree``), same server, one invocation:

* pytest-alembic: a tiny pytest project in a temporary directory whose ``alembic_config`` and
  ``alembic_engine`` fixtures point at a fresh database owned by a throwaway role (recreated,
  untimed, before every sample), running only ``test_up_down_consistency`` (upgrade revision by
  revision to head, then downgrade revision by revision), through the tree's own env.py, which
  reads ``ALEMBIC_DB_URI``.  pytest-alembic 0.13.1's collector crashes on pytest 9, so it runs
  from its own virtualenv (``--pytest-alembic-venv``, created with ``pytest<9`` if missing).
* ``wazo-manage-db verify --script-location``: up, snapshot, down, compare, up, compare for
  every revision, creating and dropping its own throwaway database and role (timed).
* with ``--full-snapshots-row``: the same verify reading the whole catalog after every step
  (informative: what the event-trigger log saves).

Target: verify ≤ 0.25× pytest-alembic, with a full snapshot comparison at every step.  Prints a
markdown table; exits 1 when the target is missed.

    .venv/bin/python bench/bench_verify.py --revisions 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

TARGET = 0.25  # issue 19 (bench/README.md, run_all.py)
DEFAULT_VENV = Path(tempfile.gettempdir()) / "bench-pytest-alembic-venv"
PYTEST_ALEMBIC_PACKAGES = (
    "pytest<9",
    "pytest-alembic==0.13.1",
    "alembic",
    "sqlalchemy",
    "psycopg2-binary",
)

_CONFTEST = '''"""pytest-alembic on the benchmark database (written by bench_verify.py)."""

import os

import pytest
from pytest_alembic.config import Config
from sqlalchemy import create_engine


@pytest.fixture
def alembic_config():
    return Config(
        config_options={
            "file": os.environ["BENCH_ALEMBIC_INI"],
            "script_location": os.environ["BENCH_SCRIPT_LOCATION"],
        }
    )


@pytest.fixture
def alembic_engine():
    url = os.environ["ALEMBIC_DB_URI"].replace("postgresql://", "postgresql+psycopg2://", 1)
    return create_engine(url)
'''

_TEST = "from pytest_alembic.tests import test_up_down_consistency  # noqa: F401\n"


def ensure_pytest_alembic_venv(venv: Path) -> Path:
    """The python of a virtualenv with pytest-alembic and a pytest it supports; made if missing."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import pytest_alembic, psycopg2"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with {' '.join(PYTEST_ALEMBIC_PACKAGES)}", file=sys.stderr)
    common.run([sys.executable, "-m", "venv", str(venv)])
    common.run([str(python), "-m", "pip", "install", "-q", *PYTEST_ALEMBIC_PACKAGES])
    return python


def write_pytest_project(directory: Path) -> Path:
    """A pytest project running pytest-alembic's test_up_down_consistency only."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "conftest.py").write_text(_CONFTEST)
    (directory / "test_migrations.py").write_text(_TEST)
    (directory / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return directory


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="an existing gen_tree.py output directory")
    parser.add_argument("--pytest-alembic-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument(
        "--full-snapshots-row",
        action="store_true",
        help="also time verify --full-snapshots (one sample)",
    )
    parser.add_argument("--dry-run", action="store_true", help="time pytest-alembic only")
    parser.add_argument(
        "--statistic",
        choices=("median", "best"),
        default="median",
        help="wall-clock statistic compared with the target (best: on a loaded machine)",
    )
    args = parser.parse_args(argv)

    pa_python = ensure_pytest_alembic_venv(args.pytest_alembic_venv)
    admin = common.admin_uri()
    with tempfile.TemporaryDirectory(prefix="bench_verify_") as workdir_name:
        workdir = Path(workdir_name)
        tree = args.tree
        if tree is None:
            tree = workdir / "tree"
            gen_tree.generate_tree(tree, args.revisions, version_table="alembic_version_bench")
        info = gen_tree.load_tree_info(tree)
        project = write_pytest_project(workdir / "pytest_alembic_project")
        with (
            common.throwaway_role() as owner,
            common.throwaway_database("bench_verify", owner=owner) as database_uri,
        ):
            owner_uri = common.with_user(database_uri, owner)
            name = common.database_name(database_uri)
            config = common.write_manage_db_config(workdir / "config.yml", owner_uri, {})
            pytest_alembic = common.Candidate(
                "pytest-alembic",
                [[str(pa_python), "-m", "pytest", "-q", "-x", "test_migrations.py"]],
                env={
                    "ALEMBIC_DB_URI": owner_uri,
                    "BENCH_ALEMBIC_INI": str(tree / "alembic.ini"),
                    "BENCH_SCRIPT_LOCATION": str(tree / "alembic"),
                },
                cwd=project,
            )
            verify_words = [
                "-c", str(config), "verify",
                "--script-location", str(tree / "alembic"),
                "--version-table", str(info.version_table),
                "--admin-uri", admin,
            ]  # fmt: skip
            verify = common.Candidate(
                "wazo-manage-db", [common.manage_db_command(*verify_words)], cwd=common.REPO
            )
            skip = {"wazo-manage-db"} if args.dry_run else set()
            timings = common.measure(
                f"up/down consistency, {info.revisions} revisions",
                [verify, pytest_alembic],
                args.repeat,
                skip=skip,
                before=lambda: common.reset_database(name, owner),
            )
            full = None
            if args.full_snapshots_row and not args.dry_run:
                full_verify = common.Candidate(
                    "verify --full-snapshots",
                    [common.manage_db_command(*verify_words, "--full-snapshots")],
                    cwd=common.REPO,
                )
                measured = common.measure("verify, full snapshot every step", [full_verify], 1)
                full = measured[full_verify.label]

    rows = common.comparison_rows(
        f"verify vs test_up_down_consistency, {info.revisions} revisions",
        timings,
        TARGET,
        peer="pytest-alembic",
        floor=None,
        statistic=args.statistic,
    )
    if full is not None:
        peer = timings["pytest-alembic"]
        rows.append(
            common.Row("verify --full-snapshots (informative, one run)", full.median, peer.median)
        )
    print(common.markdown_table(rows, peer="pytest-alembic"))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
