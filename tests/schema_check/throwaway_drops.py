"""Waiting for the throwaway databases check-models and drift leave the server to drop."""

from __future__ import annotations

import time

from pgtest import query


def wait_for_throwaway_drops(admin_uri: str, owner: str, timeout: float = 60.0) -> list[str]:
    """Wait (at most ``timeout`` seconds) until ``owner`` owns no throwaway database any more;
    return the names still there."""
    deadline = time.monotonic() + timeout
    while True:
        left = [
            name
            for (name,) in query(
                admin_uri,
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'manage_db_verify_') "
                "AND datdba = (SELECT oid FROM pg_roles WHERE rolname = %s)",
                owner,
            )
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
