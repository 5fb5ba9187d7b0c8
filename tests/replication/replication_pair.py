"""The replication tests' harness: a real primary and its streaming standby (throwaway clusters),
a component on them whose URIs name both servers, figures for the session summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from manage_db.dao.cluster import HOST, ThrowawayCluster
from pgtest import REPO, write_revision

ENV_PY = REPO / "tests" / "fixtures" / "faults" / "env.py"  # a stock env.py: ALEMBIC_DB_URI
VERSION_TABLE = "alembic_version_demo"
# No wait in these tests goes past this many seconds.
BOUND = 30


@dataclass
class Pair:
    """A primary and a standby streaming from it."""

    primary: ThrowawayCluster
    standby: ThrowawayCluster

    def uri(self, database: str = "postgres", user: str = "postgres", *order: str) -> str:
        """A multi-host URI naming the servers in ``order`` (default: standby, then primary)."""
        servers = [getattr(self, name) for name in (order or ("standby", "primary"))]
        hosts = ",".join(f"{HOST}:{server.port}" for server in servers)
        return f"postgresql://{user}@{hosts}/{database}"

    def query(self, which: str, statement: str, database: str = "postgres") -> list[tuple]:
        conn = psycopg2.connect(getattr(self, which).uri(database), connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def replay(self, paused: bool) -> None:
        """Pause or resume the standby's replay (it keeps receiving WAL)."""
        action = "pause" if paused else "resume"
        self.query("standby", f"SELECT pg_wal_replay_{action}()")

    def caught_up(self) -> bool:
        rows = self.query(
            "primary",
            "SELECT count(*) FILTER (WHERE replay_lsn >= pg_current_wal_lsn()), count(*) "
            "FROM pg_stat_replication",
        )
        return rows[0][0] == rows[0][1] == 1

    def wait_caught_up(self) -> None:
        """Until the standby replayed all the primary wrote (at most BOUND seconds)."""
        self.query("primary", "SELECT pg_switch_wal()")  # some WAL, so the standby reports
        deadline = time.monotonic() + BOUND
        while not self.caught_up():
            if time.monotonic() > deadline:
                pytest.fail(f"the standby did not catch up within {BOUND} s")
            time.sleep(0.05)


def start_pair() -> Pair:
    primary = ThrowawayCluster().start()
    try:
        return Pair(primary, primary.standby())
    except BaseException:
        primary.stop()
        raise


def stop_pair(pair: Pair) -> None:
    try:
        pair.standby.stop()
    finally:
        pair.primary.stop()


REVISIONS = [
    (
        "a1a1a1a1a1a1",
        None,
        'op.execute("CREATE TABLE items (id uuid PRIMARY KEY, label text)")',
        'op.execute("DROP TABLE items")',
    ),
    (
        "b2b2b2b2b2b2",
        "a1a1a1a1a1a1",
        'op.execute("INSERT INTO items SELECT md5(i::text)::uuid, i::text '
        'FROM generate_series(1, 1000) i")\n'
        'op.execute("CREATE INDEX items_label ON items (label)")',
        'op.execute("DROP INDEX items_label")\nop.execute("DELETE FROM items")',
    ),
]


def write_tree(root: Path, revisions: list[tuple[str, str | None, str, str]]) -> Path:
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    (location / "env.py").write_text(ENV_PY.read_text())
    (location / "script.py.mako").write_text((ENV_PY.parent / "script.py.mako").read_text())
    for revision in revisions:
        write_revision(location, *revision)
    return location


@dataclass
class PairComponent:
    """A component ``demo`` on the pair: its config file, names and tree."""

    config: Path
    role: str
    database: str
    location: Path


# Figures of the scenarios (seconds to exit on failover...), shown at the end of the session.
FIGURES: list[str] = []


def figure(name: str, value: object) -> None:
    """Record a figure for the session summary (and print it, for pytest -s)."""
    FIGURES.append(f"{name} = {value}")
    print(f"replication figure: {name} = {value}")
