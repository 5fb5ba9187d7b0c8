"""Waiting for the standbys after a run, and what a read learns of the server it reached."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from manage_db.dao.connection import connect
from manage_db.errors import ManageDbError, StandbysBehind
from manage_db.replication import dao, notifier
from manage_db.replication.model import ServerRole, Standby

if TYPE_CHECKING:
    from manage_db.access import Access
    from manage_db.models import Component

# Poll quickly first (a caught-up standby replays within milliseconds), then every PROGRESS_EVERY.
FIRST_POLL = 0.002
LAST_POLL = 0.1
PROGRESS_EVERY = 1.0


def wait_for_standbys(
    admin_uri: str, component: str, wait: float, minimum: int | None = None
) -> list[Standby]:
    """Return once ``minimum`` standbys (None: every standby streaming now) have replayed what
    the primary committed so far; StandbysBehind (exit 9) naming the laggards after ``wait`` s.

    ``admin_uri``: a role that may read the standbys' positions (superuser or pg_monitor).
    """
    conn = connect(admin_uri, writes=True)
    try:
        position = dao.flush_position(conn, max(wait, 0.001))
        deadline = time.monotonic() + wait
        delay, told = FIRST_POLL, time.monotonic()
        while True:
            found = dao.standbys(conn, position)
            needed = len(found) if minimum is None else minimum
            done = [s for s in found if s.caught_up]
            if len(done) >= needed:
                return found
            now = time.monotonic()
            lagging = [s for s in found if not s.caught_up]
            if now >= deadline:
                raise StandbysBehind(_behind(component, wait, len(done), needed, lagging))
            if now - told >= PROGRESS_EVERY:
                notifier.progress(component, len(done), needed, lagging)
                told = now
            time.sleep(min(delay, max(0.0, deadline - now)))
            delay = min(delay * 2, LAST_POLL)
    finally:
        conn.close()


def _behind(component: str, wait: float, done: int, needed: int, lagging: list[Standby]) -> str:
    laggards = "; ".join(notifier.lag(s) for s in lagging) or f"{done} streaming"
    return (
        f"{component}: upgraded on the primary, but only {done} of {needed} standbys replayed it "
        f"within replica_wait {wait:g} s: {laggards}"
    )


def server_report(admin_uri: str) -> ServerRole:
    """The server ``admin_uri`` reaches, with its standbys when it is a primary."""
    conn = connect(admin_uri)
    try:
        return dao.replication_state(conn)
    finally:
        conn.close()


def server_of(access: Access, component: Component) -> ServerRole | None:
    """The server ``component``'s reads reach when replication is involved (a standby, or a
    primary with standbys, their lag read as the superuser when the owner may not see it); None
    for a lone server or one that cannot be read."""
    try:
        role = _cached_report(access.owner_uri(component))
    except ManageDbError:
        return None
    if not role.standby and not role.standbys:
        return None
    if role.standby or all(s.state is not None for s in role.standbys):
        return role
    try:
        return _cached_report(access.admin_uri(component=component))
    except ManageDbError:
        return role


_REPORTS: dict[str, ServerRole] = {}


def _cached_report(uri: str) -> ServerRole:
    if uri not in _REPORTS:
        _REPORTS[uri] = server_report(uri)
    return _REPORTS[uri]
