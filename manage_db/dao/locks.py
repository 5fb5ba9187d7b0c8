"""The migration lock: a PostgreSQL advisory lock per component, taken by polling a try-lock.

A blocking ``pg_advisory_lock`` would deadlock against ``CREATE INDEX CONCURRENTLY`` in the
migration (it waits for every older transaction, including the waiting lock call), so we poll.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

# First key of every lock we take: "wmdb" in ASCII, so our locks are recognisable in pg_locks.
_NAMESPACE = 0x776D6462 - 2**31


def lock_key(version_table: str, schema: str | None) -> int:
    """Second key: stable across processes and versions (crc32 of the version table's name)."""
    name = f"{schema or ''}.{version_table}".encode()
    return zlib.crc32(name) - 2**31


def try_lock(conn: Any, key: int) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (_NAMESPACE, key))
        return bool(cur.fetchone()[0])


def unlock(conn: Any, key: int) -> None:
    """Release the lock; a connection already lost took its session's lock with it."""
    import psycopg2

    if conn.closed:
        return
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", (_NAMESPACE, key))
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        if not conn.closed:
            raise


def wait_for_lock(conn: Any, key: int, timeout: float, interval: float = 0.1) -> bool:
    """Poll the try-lock until it is ours or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not try_lock(conn, key):
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
