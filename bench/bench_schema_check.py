#!/usr/bin/env python3
"""Benchmark ``check-models`` against ``alembic check`` and ``drift`` against ``upgrade``.

In one run, taking turns (medians of interleaved samples):

* ``check-models`` of a generated daemon-shaped tree (``--tables`` tables over as many
  revisions, an index, a default, a foreign key and a check constraint each) and its matching
  models, against ``alembic check`` of the same tree whose env.py sets ``target_metadata`` from
  those models, on a database already at head (its upgrade untimed). ``check-models --live``
  compares the same thing as alembic check (the models against that database at head): it reads
  the database read-only and builds only the models' create_all(). Plain ``check-models``
  builds the head and the models' create_all() in two throwaway databases of its own and compares
  them (issue 21's target row: it does more than alembic check, which only reflects one
  database). Target for both: at most 1× ``alembic check``.
* ``drift`` of the platform database (the built-in tree at head) against one ``upgrade`` of it
  base → head (each upgrade sample on a database made anew by ``init``, untimed). Target: drift
  at most upgrade + 1 s.

    .venv/bin/python bench/bench_schema_check.py --repeat 5

alembic check needs alembic 1.9 or later: on Debian 12's alembic 1.8.1 the row says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import common
import gen_tree

CHECK_TARGET = 1.0  # × alembic check
DRIFT_MARGIN = 1.0  # seconds over one upgrade
BEFORE = "check-models before"  # the labels of --before's candidates
LIVE = "check-models --live"
LIVE_BEFORE = "check-models --live before"

VERSION_TABLE = "alembic_version_bench_models"

REVISION = """
op.create_table(
    "t{n}",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("created_at", sa.DateTime, server_default=sa.text("now()"), nullable=False),
    sa.Column("score", sa.Integer),
    {parent_column}sa.CheckConstraint("score >= 0", name="t{n}_score_check"),
)
op.create_index("t{n}_name_idx", "t{n}", ["name"])
"""

MODEL = """

class T{n}(Base):
    __tablename__ = "t{n}"
    __table_args__ = (
        sa.Index("t{n}_name_idx", "name"),
        sa.CheckConstraint("score >= 0", name="t{n}_score_check"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False)
    created_at = sa.Column(sa.DateTime, server_default=sa.text("now()"), nullable=False)
    score = sa.Column(sa.Integer)
{parent_attribute}"""


def write_tree(root: Path, tables: int) -> Path:
    """The tree (``root/migrations``: a directory named ``alembic`` would hide the package from
    ``python -m alembic`` run there) and its models (``root/bench_models.py``); the tree."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nprepend_sys_path = .\npath_separator = os\n"
    )
    models = ["import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\n\n"]
    models.append("Base = declarative_base()\n")
    revisions = []
    down = None
    for n in range(tables):
        rev = f"{n:04d}bench0000"
        parent = (
            f'sa.Column("parent_id", sa.Integer, sa.ForeignKey("t{n - 1}.id")),\n    ' if n else ""
        )
        revisions.append(
            gen_tree.ModelsRevision(
                rev,
                down,
                REVISION.format(n=n, parent_column=parent),
                f'op.drop_table("t{n}")',
                message=f"table t{n}",
            )
        )
        attribute = (
            f'    parent_id = sa.Column(sa.Integer, sa.ForeignKey("t{n - 1}.id"))\n' if n else ""
        )
        models.append(MODEL.format(n=n, parent_attribute=attribute))
        down = rev
    (root / "bench_models.py").write_text("".join(models))
    return gen_tree.write_models_tree(
        root / "migrations", revisions, VERSION_TABLE, models="bench_models:Base"
    )


def bench_check_models(
    workdir: Path, tables: int, repeat: int, before: Path | None = None
) -> list[common.Row]:
    """check-models against alembic check on the same tree and models (and, with ``before``,
    the check-models of that checkout, interleaved with the others)."""
    root = workdir / "models_tree"
    location = write_tree(root, tables)
    with (
        common.throwaway_role("bench_models_owner") as role,
        common.throwaway_database("bench_models", owner=role) as database_uri,
    ):
        owner_uri = common.with_user(database_uri, role)
        config = common.write_manage_db_config(
            workdir / "models.yml",
            owner_uri,
            {
                "bench": {
                    "script_location": str(location),
                    "database": common.database_name(database_uri),
                    "owner": role,
                    "version_table": VERSION_TABLE,
                    "models": "bench_models:Base",
                }
            },
            admin=common.admin_uri(),
        )
        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO)}
        # Run from the work directory: ``python -m`` puts the current directory first on
        # sys.path, so from a checkout's top its manage_db would win over PYTHONPATH's.
        ours = common.Candidate(
            "wazo-manage-db",
            [common.manage_db_command("-c", str(config), "check-models")],
            env,
            cwd=workdir,
        )
        live = common.Candidate(
            LIVE,
            [common.manage_db_command("-c", str(config), "check-models", "--live")],
            env,
            cwd=workdir,
        )
        earlier = []
        if before is not None:
            before_env = {**env, "PYTHONPATH": str(before.resolve())}
            earlier.append(common.Candidate(BEFORE, ours.commands, before_env, cwd=workdir))
            earlier.append(common.Candidate(LIVE_BEFORE, live.commands, before_env, cwd=workdir))
        alembic_env = {
            "ALEMBIC_DB_URI": owner_uri.replace("postgresql://", "postgresql+psycopg2://", 1),
            "PYTHONPATH": str(root),
        }
        common.run(common.alembic_command("upgrade", "head"), alembic_env, cwd=root)
        proc = common.run(common.alembic_command("--help"), alembic_env)
        if not any(line.split()[:1] == ["check"] for line in proc.stdout.splitlines()):
            print("alembic check: not in this alembic (1.9 or later needed)", file=sys.stderr)
            timings = common.measure("check-models", [ours, live, *earlier], repeat)
            wait_for_drops(role)
            for label in (ours.label, LIVE):
                print(f"{label} alone: {timings[label]}")
            return _before_rows(timings, tables, before)
        peer = common.Candidate("alembic", [common.alembic_command("check")], alembic_env, cwd=root)
        # What CI needs with alembic for the same answer: a fresh database brought to head, then
        # checked (the database made and dropped untimed, before each sample).
        fresh = common.unique_name("bench_models_ci")
        fresh_env = {
            **alembic_env,
            "ALEMBIC_DB_URI": common.with_database(alembic_env["ALEMBIC_DB_URI"], fresh),
        }
        both = common.Candidate(
            "alembic upgrade + check",
            [common.alembic_command("upgrade", "head"), common.alembic_command("check")],
            fresh_env,
            cwd=root,
        )
        try:
            timings = common.measure(
                f"check-models vs alembic check, {tables} tables",
                [ours, live, peer, both, *earlier],
                repeat,
                before=lambda: common.reset_database(fresh, role),
            )
        finally:
            common.drop_database(fresh)
        wait_for_drops(role)
    rows = common.comparison_rows(
        f"check-models --live, {tables} tables (alembic check on the same database at head)",
        timings,
        CHECK_TARGET,
        ours=LIVE,
        floor=None,
    )
    rows += common.comparison_rows(
        f"check-models, {tables} tables, builds the head (alembic check on a database at head)",
        timings,
        CHECK_TARGET,
        floor=None,
    )
    rows += common.comparison_rows(
        f"check-models, {tables} tables (alembic upgrade head + check on a fresh database)",
        timings,
        None,
        peer="alembic upgrade + check",
        floor=None,
    )[:1]
    return rows + _before_rows(timings, tables, before)


def _before_rows(
    timings: dict[str, common.Timing], tables: int, before: Path | None
) -> list[common.Row]:
    """check-models and check-models --live against those of the ``--before`` checkout."""
    if before is None:
        return []
    rows = common.comparison_rows(
        f"check-models, {tables} tables, against {before}",
        timings,
        None,
        peer=BEFORE,
        floor=None,
    )
    rows += common.comparison_rows(
        f"check-models --live, {tables} tables, against {before}",
        timings,
        None,
        ours=LIVE,
        peer=LIVE_BEFORE,
        floor=None,
    )
    return rows


def bench_drift(workdir: Path, repeat: int) -> list[common.Row]:
    """drift of the platform database against one upgrade base → head of it."""
    with common.throwaway_role("bench_drift_owner") as role:
        database = common.unique_name("bench_drift")
        config = common.write_manage_db_config(
            workdir / "drift.yml",
            common.with_user(common.with_database(common.admin_uri(), database), role),
            {"asterisk": {"enabled": True}},
            admin=common.admin_uri(),
        )
        env = {"XDG_CACHE_HOME": str(workdir / "cache"), "PYTHONPATH": str(common.REPO)}
        base = ["-c", str(config)]
        upgrade, drift = common.Timing([], []), common.Timing([], [])
        try:
            for _ in range(repeat):
                common.drop_database(database)
                common.run(common.manage_db_command(*base, "init"), env)
                upgrade.samples.append(_timed(common.manage_db_command(*base, "upgrade"), env))
                drift.samples.append(_timed(common.manage_db_command(*base, "drift"), env))
        finally:
            common.drop_database(database)
            wait_for_drops(role)
    print(f"\n== drift vs upgrade of the platform database\n  upgrade: {upgrade}", file=sys.stderr)
    print(f"  drift: {drift}", file=sys.stderr)
    limit = upgrade.median + DRIFT_MARGIN
    return [
        common.Row(
            f"drift of the platform database (≤ upgrade base → head {upgrade.median:.2f} s + 1 s)",
            drift.median,
            upgrade.median,
            limit=limit,
        )
    ]


def wait_for_drops(role: str, timeout: float = 120.0) -> None:
    """Wait until ``role`` owns no throwaway database: the server finishes their drops after
    check-models and drift have answered."""
    deadline = time.monotonic() + timeout
    question = (
        "SELECT count(*) FROM pg_database WHERE starts_with(datname, 'manage_db_verify_') "
        f"AND datdba = (SELECT oid FROM pg_roles WHERE rolname = '{role}')"
    )
    while common.query_scalar(common.admin_uri(), question) and time.monotonic() < deadline:
        time.sleep(0.2)


def _timed(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    common.run(command, env)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=40, help="tables (and revisions)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--before",
        type=Path,
        metavar="CHECKOUT",
        help="also time check-models from this checkout of the project (its top directory, "
        "run with this interpreter), interleaved: a change's before and after in one run",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_schema_check_") as name:
        workdir = Path(name)
        rows = bench_check_models(workdir, args.tables, args.repeat, args.before)
        rows += bench_drift(workdir, args.repeat)
    print(textwrap.dedent(common.markdown_table(rows, peer="peer")))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
