"""SIGINT and SIGTERM during a long statement, and kill -9 at random points."""

from __future__ import annotations

import random
import signal
import time

import pytest
from fault_harness import figure, finish, running_statement, wait_for

FIRST = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE one (id int)")',
    'op.execute("DROP TABLE one")',
)
SLEEPING = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    'op.execute("CREATE TABLE two (id int)")\nop.execute("SELECT pg_sleep(60)")',
    'op.execute("DROP TABLE two")',
)


def advisory_locks(component) -> int:
    return component.query(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
    )[0][0]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_a_statement_cancels_it_rolls_back_and_exits(make_component, signum, code):
    component = make_component([FIRST, SLEEPING])
    run = component.start("upgrade")
    wait_for(lambda: running_statement(component, "pg_sleep(60)"), 30, "the sleeping revision")

    sent = time.monotonic()
    run.send_signal(signum)
    exit_code, out, err = finish(run, timeout=15)
    seconds = time.monotonic() - sent
    figure(f"seconds from {signum.name} to exit", f"{seconds:.2f}")

    assert exit_code == code, (out, err)
    assert err.strip().splitlines() == [
        f"wazo-manage-db: demo: interrupted by {signum.name}: revision b2b2b2b2b2b2 was "
        "cancelled and rolled back; database left at a1a1a1a1a1a1"
    ]
    assert seconds <= 2.0
    assert not running_statement(component, "pg_sleep(60)")  # cancelled on the server
    assert component.version() == ["a1a1a1a1a1a1"]
    assert component.query("SELECT to_regclass('two')") == [(None,)]
    assert advisory_locks(component) == 0  # the migration lock was released


def kill_tree() -> list[tuple[str, str | None, str, str]]:
    """Four revisions; the third sleeps as long as the table ``long_sleep`` says (a long statement
    in the run that gets killed, none in the rerun)."""
    steps = [
        ("d1d1d1d1d1d1", None, 'op.execute("SELECT pg_sleep(0.4)")'),
        ("d2d2d2d2d2d2", "d1d1d1d1d1d1", 'op.execute("SELECT pg_sleep(0.4)")'),
        (
            "d3d3d3d3d3d3",
            "d2d2d2d2d2d2",
            'op.execute("SELECT pg_sleep(seconds) FROM long_sleep")',
        ),
        ("d4d4d4d4d4d4", "d3d3d3d3d3d3", "pass"),
    ]
    return [
        (
            rev,
            down,
            f'op.execute("CREATE TABLE t_{rev} (id int)")\n{body}',
            f'op.drop_table("t_{rev}")',
        )
        for rev, down, body in steps
    ]


def other_backends(component) -> int:
    return component.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )[0][0]


def test_kill_9_at_random_points_then_rerun_reaches_head_without_waiting(make_component):
    component = make_component(kill_tree())
    component.query("CREATE TABLE long_sleep (seconds int)")
    component.query("INSERT INTO long_sleep VALUES (30)")
    pick = random.Random()
    seconds_gone, seconds_rerun = [], []
    for _ in range(5):
        component.query("UPDATE long_sleep SET seconds = 30")
        run = component.start("upgrade")
        time.sleep(pick.uniform(0.3, 3.0))
        run.send_signal(signal.SIGKILL)
        finish(run, timeout=10)
        component.query("UPDATE long_sleep SET seconds = 0")

        killed = time.monotonic()
        wait_for(lambda: other_backends(component) == 0, 5, "the server to drop the dead run")
        seconds_gone.append(time.monotonic() - killed)

        started = time.monotonic()
        rerun = component.run("upgrade", timeout=30)
        seconds_rerun.append(time.monotonic() - started)
        assert rerun.returncode == 0, rerun
        assert component.version() == ["d4d4d4d4d4d4"]
        reset = component.run("downgrade", "base")
        assert reset.returncode == 0, reset
    # What a rerun could wait behind is the dead run's session: its locks and its statement.
    figure("seconds until the dead run's session was gone", [f"{s:.2f}" for s in seconds_gone])
    figure("seconds of each rerun (process start included)", [f"{s:.2f}" for s in seconds_rerun])
    assert max(seconds_gone) < 5


SLEEPING_DOWNGRADE = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    'op.execute("CREATE TABLE two (id int)")',
    'op.execute("DROP TABLE two")\nop.execute("SELECT pg_sleep(60)")',
)


def test_sigint_during_a_downgrade_cancels_it_and_keeps_the_revision(make_component):
    component = make_component([FIRST, SLEEPING_DOWNGRADE])
    assert component.run("upgrade").returncode == 0
    run = component.start("downgrade", "a1a1a1a1a1a1")
    wait_for(lambda: running_statement(component, "pg_sleep(60)"), 30, "the sleeping downgrade")
    run.send_signal(signal.SIGINT)
    exit_code, out, err = finish(run, timeout=15)

    assert exit_code == 130, (out, err)
    assert err.strip().startswith("wazo-manage-db: demo: interrupted by SIGINT:")
    assert component.version() == ["b2b2b2b2b2b2"]
    assert component.query("SELECT to_regclass('two')") == [("two",)]
    assert advisory_locks(component) == 0
