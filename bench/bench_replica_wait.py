#!/usr/bin/env python3
"""Benchmark ``upgrade`` with ``replica_wait`` on a caught-up standby against the same upgrade
without it (issue 22; target: at most 1.1x).

A throwaway primary and its streaming standby (``manage_db.dao.cluster``); a tree of
``--revisions`` revisions (a table and an index each); each sample upgrades a fresh database from
base, the two variants interleaved, medians reported. The machine is shared: say so with the
figures.

    .venv/bin/python bench/bench_replica_wait.py --revisions 20 --samples 9
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import common
import yaml

from manage_db.dao.cluster import HOST, ThrowawayCluster

TARGET = 1.1
ENV_PY = common.REPO / "tests" / "fixtures" / "faults" / "env.py"  # a stock env.py
VERSION_TABLE = "alembic_version_demo"


def write_tree(root: Path, revisions: int) -> Path:
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    (location / "env.py").write_text(ENV_PY.read_text())
    (location / "script.py.mako").write_text((ENV_PY.parent / "script.py.mako").read_text())
    down = None
    for n in range(revisions):
        rev = f"{n:012x}"
        (location / "versions" / f"{rev}_step.py").write_text(
            f'"""step {n}"""\nfrom alembic import op\n\nrevision = {rev!r}\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n"
            f'    op.execute("CREATE TABLE t{n} (id serial PRIMARY KEY, label text)")\n'
            f'    op.execute("CREATE INDEX t{n}_label ON t{n} (label)")\n\n\n'
            f'def downgrade():\n    op.execute("DROP TABLE t{n}")\n'
        )
        down = rev
    return location


def config(root: Path, pair: tuple[int, int], database: str, location: Path, wait: float) -> Path:
    hosts = ",".join(f"{HOST}:{port}" for port in pair)
    settings = {
        "db_uri": f"postgresql://{database}@{hosts}/{database}",
        "admin_uri": f"postgresql://postgres@{hosts}/postgres",
        "plugins": False,
        "log_file": str(root / f"{database}.log"),
        "replica_wait": wait,
        "components": {
            "asterisk": {"enabled": False},
            "demo": {
                "script_location": str(location),
                "database": database,
                "owner": database,
                "version_table": VERSION_TABLE,
            },
        },
    }
    path = root / f"{database}.yml"
    path.write_text(yaml.safe_dump(settings))
    return path


def upgrade_seconds(python: str, config_path: Path) -> float:
    command = [python, "-m", "manage_db", "-c", str(config_path)]
    subprocess.run([*command, "init"], check=True, capture_output=True, timeout=120)
    started = time.perf_counter()
    subprocess.run([*command, "upgrade"], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def _wait_alone(primary: ThrowawayCluster, standby: ThrowawayCluster, samples: int) -> float:
    """Median seconds of ``wait_for_standbys`` itself after a write, on the same pair."""
    from manage_db.dao.connection import connect
    from manage_db.replication.service import wait_for_standbys

    admin = f"postgresql://postgres@{HOST}:{standby.port},{HOST}:{primary.port}/postgres"
    conn = connect(primary.uri())
    seconds = []
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_wait (n int)")
            for _ in range(samples):
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("INSERT INTO bench_wait SELECT generate_series(1, 1000)")
                started = time.perf_counter()
                wait_for_standbys(admin, "bench", 30.0)
                seconds.append(time.perf_counter() - started)
    finally:
        conn.close()
    return statistics.median(seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=20)
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    primary = ThrowawayCluster().start()
    standby = primary.standby()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-replica-wait-") as scratch:
            root = Path(scratch)
            location = write_tree(root, args.revisions)
            ports = (standby.port or 0, primary.port or 0)  # the standby first, as in the tests
            samples: dict[str, list[float]] = {"without": [], "replica_wait": []}
            variants = [("without", 0.0), ("replica_wait", 30.0)]
            for n in range(args.samples):
                # Interleaved, each variant first in turn: the machine's load hits both alike.
                for name, wait in variants if n % 2 == 0 else variants[::-1]:
                    database = f"bench_rw_{name[0]}{n}"
                    path = config(root, ports, database, location, wait)
                    samples[name].append(upgrade_seconds(args.python, path))
            wait_alone = _wait_alone(primary, standby, args.samples)
    finally:
        standby.stop()
        primary.stop()
    without = statistics.median(samples["without"])
    waiting = statistics.median(samples["replica_wait"])
    ratio = waiting / without
    print(f"upgrade of {args.revisions} revisions, {args.samples} samples each, interleaved")
    print("| variant | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, values in samples.items():
        print(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    print(
        f"the wait alone (in-process, after a write; connect, flush, poll): median "
        f"{wait_alone * 1000:.1f} ms = {wait_alone / without:.3f} of the median upgrade"
    )
    best = min(samples["replica_wait"]) / min(samples["without"])
    print(f"ratio replica_wait / without: {ratio:.3f} median, {best:.3f} best (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
