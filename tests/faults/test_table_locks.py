"""A table held by another session: readers are not queued for long, the upgrade retries."""

from __future__ import annotations

import threading
import time

import psycopg2
from fault_harness import figure, finish, wait_for

BUSY = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE busy (id int)")\nop.execute("INSERT INTO busy VALUES (1)")',
    'op.execute("DROP TABLE busy")',
)
ALTER = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    'op.execute("ALTER TABLE busy ADD COLUMN extra int")',
    'op.execute("ALTER TABLE busy DROP COLUMN extra")',
)
LOCK_TIMEOUT = 1


def hold_table(component) -> psycopg2.extensions.connection:
    """Another session with the table open in a transaction (as a long report would)."""
    holder = psycopg2.connect(component.owner_uri)
    with holder.cursor() as cur:
        cur.execute("SELECT count(*) FROM busy")
    return holder


def upgrade_waits_for_lock(component) -> bool:
    rows = component.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND position('ALTER TABLE busy' in query) > 0"
    )
    return rows[0][0] > 0


def blocked_reader(component, seconds: list[float]) -> threading.Thread:
    """A plain SELECT of the table from a new session; records how long it took."""

    def read() -> None:
        conn = psycopg2.connect(component.owner_uri)
        try:
            started = time.monotonic()
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = '20s'")
                cur.execute("SELECT count(*) FROM busy")
            seconds.append(time.monotonic() - started)
        finally:
            conn.close()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_reader_waits_at_most_lock_timeout_and_upgrade_succeeds_once_holder_commits(
    make_component,
):
    component = make_component([BUSY, ALTER], lock_timeout=LOCK_TIMEOUT, lock_retries=5)
    assert component.run("upgrade", "a1a1a1a1a1a1").returncode == 0
    holder = hold_table(component)
    try:
        run = component.start("upgrade")
        wait_for(lambda: upgrade_waits_for_lock(component), 30, "the ALTER to wait for its lock")
        reader_seconds: list[float] = []
        blocked_reader(component, reader_seconds).join(timeout=20)
        wait_for(lambda: not upgrade_waits_for_lock(component), 10, "the first attempt to end")
    finally:
        holder.rollback()
        holder.close()
    exit_code, out, err = finish(run, timeout=30)
    figure("seconds the reader was blocked", f"{reader_seconds[0]:.2f}" if reader_seconds else "?")

    assert reader_seconds and reader_seconds[0] <= LOCK_TIMEOUT + 1
    assert exit_code == 0, (out, err)
    assert component.version() == ["b2b2b2b2b2b2"]
    assert component.query(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'busy' AND column_name = 'extra'"
    ) == [(1,)]


def test_upgrade_gives_up_cleanly_when_the_holder_never_commits(make_component):
    component = make_component([BUSY, ALTER], lock_timeout=LOCK_TIMEOUT, lock_retries=1)
    assert component.run("upgrade", "a1a1a1a1a1a1").returncode == 0
    holder = hold_table(component)
    try:
        started = time.monotonic()
        result = component.run("upgrade", timeout=30)
        seconds = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    figure("seconds before giving up (2 attempts)", f"{seconds:.2f}")

    assert result.returncode == 7, result
    assert result.stderr.strip().splitlines() == [
        "wazo-manage-db: demo: revision b2b2b2b2b2b2 waited more than lock_timeout (1 s) for the "
        "ACCESS EXCLUSIVE lock (blocks reads and writes) it wanted on table busy, 2 times; "
        "database left at a1a1a1a1a1a1"
    ]
    assert component.version() == ["a1a1a1a1a1a1"]
    assert component.query(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'busy' AND column_name = 'extra'"
    ) == [(0,)]
