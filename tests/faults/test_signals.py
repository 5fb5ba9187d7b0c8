"""SIGINT and SIGTERM during a long statement, and kill -9 at random points."""

from __future__ import annotations

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
