"""Failover mid-run: the primary stops while a revision runs and the standby is promoted. The
run ends in one line (exit 5); the rerun, same multi-host URI, lands on the new primary, finds its
history consistent and reaches head. A pair of its own (the test consumes it)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from replication_pair import BOUND, VERSION_TABLE, Pair, figure, start_pair, stop_pair

from pgtest import start_tool

REVISIONS = [
    (
        "a1a1a1a1a1a1",
        None,
        'op.execute("CREATE TABLE items (id int PRIMARY KEY)")',
        'op.execute("DROP TABLE items")',
    ),
    (
        "b2b2b2b2b2b2",
        "a1a1a1a1a1a1",
        'op.execute("INSERT INTO items SELECT generate_series(1, 100)")',
        'op.execute("DELETE FROM items")',
    ),
    (
        "c3c3c3c3c3c3",
        "b2b2b2b2b2b2",
        'op.execute("CREATE TABLE slow (id int)")\n'
        "op.execute(\"SELECT pg_sleep(coalesce(current_setting('demo.sleep', true), '0')::int)\")",
        'op.execute("DROP TABLE slow")',
    ),
    (
        "d4d4d4d4d4d4",
        "c3c3c3c3c3c3",
        'op.execute("ALTER TABLE items ADD COLUMN label text")',
        'op.execute("ALTER TABLE items DROP COLUMN label")',
    ),
]


@pytest.fixture(scope="module")
def doomed_pair() -> Iterator[Pair]:
    made = start_pair()
    try:
        yield made
    finally:
        stop_pair(made)


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the run did not end within {BOUND} s:\n{out}\n{err}")
    return process.returncode, out, err


def _sleeping(pair: Pair, database: str) -> bool:
    rows = pair.query(
        "primary",
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND pid <> pg_backend_pid() AND position('pg_sleep' in query) > 0",
        database,
    )
    return rows[0][0] > 0


def test_failover_mid_revision_exits_5_and_the_rerun_reaches_head_on_the_new_primary(
    doomed_pair, make_component, run_cli
):
    pair = doomed_pair
    component = make_component(pair, REVISIONS, order=("primary", "standby"), server_timeout=5)
    assert run_cli("init", config=component.config).exit_code == 0
    # The slow revision sleeps on the first primary only (the setting is reset before the rerun).
    pair.query("primary", f"ALTER DATABASE {component.database} SET demo.sleep = 60")
    pair.wait_caught_up()
    run = start_tool("upgrade", config=component.config)
    deadline = time.monotonic() + BOUND
    while not _sleeping(pair, component.database):
        assert time.monotonic() < deadline, "the slow revision never started"
        assert run.poll() is None, run.communicate()
        time.sleep(0.05)

    stopped = time.monotonic()
    pair.primary.kill()
    exit_code, out, err = _finish(run)
    seconds_to_exit = time.monotonic() - stopped
    pair.standby.promote()

    assert exit_code == 5, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "demo: connection to the server lost" in lines[0], err
    assert "Traceback" not in out + err

    pair.query("standby", f"ALTER DATABASE {component.database} RESET demo.sleep")
    rerun = run_cli("upgrade", config=component.config, process=True)
    assert rerun.exit_code == 0, rerun
    history = pair.query(
        "standby",
        f"SELECT revision, count(*) FROM {VERSION_TABLE}_history "
        "WHERE direction = 'upgrade' AND outcome = 'ok' GROUP BY revision ORDER BY revision",
        component.database,
    )
    assert [revision for revision, _ in history] == [r[0] for r in REVISIONS]
    twice = [revision for revision, count in history if count != 1]
    assert twice == []
    version = pair.query("standby", f"SELECT version_num FROM {VERSION_TABLE}", component.database)
    assert version == [("d4d4d4d4d4d4",)]
    status = run_cli("status", config=component.config, process=True)
    assert status.exit_code == 0, status
    figure("failover: seconds from the primary's stop to exit 5", f"{seconds_to_exit:.2f}")
    figure("failover: revisions recorded twice", len(twice))
