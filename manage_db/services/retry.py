"""Running a component's pending revisions with retries on busy tables, and naming what ended it.

A revision whose statement waited longer than ``lock_timeout`` for a table lock fails with
``lock_not_available``; its transaction is rolled back (the revisions before it stay applied), and
the run starts again from that revision after a pause that doubles each time, with jitter so that
concurrent runs do not retry in step. When the attempts run out, or a signal or a lost connection
ends the run, the error names the revision and where the database was left.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from manage_db.cancellation import InterruptedRun, received_signal, signal_name
from manage_db.dao.session import (
    connection_error_line,
    failed_statement,
    is_connection_lost,
    is_lock_not_available,
)
from manage_db.errors import ConnectionLost, ManageDbError, ServerUnresponsive, TableLockTimeout
from manage_db.timeouts import SessionTimeouts

logger = logging.getLogger(__name__)

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Pause before retry ``attempt`` (1, 2, …): half of base * 2^(attempt-1), plus jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


def run_with_lock_retries(
    component: str,
    timeouts: SessionTimeouts,
    attempt: Callable[[], None],
    database_at: Callable[[], tuple[str, ...]],
    next_revision: Callable[[tuple[str, ...]], str | None] = lambda current: None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Call ``attempt`` (one upgrade run) until it does not fail on a table lock.

    ``database_at`` reads the revisions the database is at and ``next_revision`` tells which
    revision runs after those, for the messages.
    """
    tries = timeouts.lock_retries + 1
    for number in range(1, tries + 1):
        try:
            attempt()
            return
        except KeyboardInterrupt as interrupt:
            raise _interrupted(component, interrupt, database_at, next_revision) from None
        except ServerUnresponsive as error:
            raise ServerUnresponsive(f"{component}: {error}") from error
        except Exception as error:
            if received_signal() is not None:
                raise _interrupted(component, error, database_at, next_revision) from None
            if is_connection_lost(error):
                raise _connection_lost(component, error) from error
            if not (isinstance(error, ManageDbError) and is_lock_not_available(error)):
                raise
            if number == tries:
                raise _lock_timeout(component, error, timeouts, tries) from error
            pause = backoff(number)
            logger.warning(
                "%s: revision %s: a table was busy for more than lock_timeout (%g s); "
                "attempt %d of %d in %.1f s",
                component,
                getattr(error, "revision", None) or "?",
                timeouts.lock_timeout,
                number + 1,
                tries,
                pause,
                extra={"console": False},  # the log keeps the attempts; the console its outcome
            )
            sleep(pause)


def _interrupted(
    component: str,
    cause: BaseException,
    database_at: Callable[[], tuple[str, ...]],
    next_revision: Callable[[tuple[str, ...]], str | None],
) -> InterruptedRun:
    signum = received_signal()
    try:
        current: tuple[str, ...] | None = database_at()
    except (Exception, KeyboardInterrupt):  # a lost or silent connection: say less
        current = None
    revision = getattr(cause, "revision", None)
    if revision is None and current is not None:
        revision = next_revision(current)
    what = f"revision {revision}" if revision else "the running revision"
    left = "the last revision committed" if current is None else ", ".join(current) or "base"
    return InterruptedRun(
        f"{component}: interrupted by {signal_name(signum)}: {what} was cancelled and rolled "
        f"back; database left at {left}",
        signum or 2,
    )


def _connection_lost(component: str, error: BaseException) -> ConnectionLost:
    revision = getattr(error, "revision", None)
    during = f" during revision {revision}" if revision else ""
    return ConnectionLost(
        f"{component}: connection to the server lost{during} ({connection_error_line(error)}); "
        "the revisions committed before it stay applied: run upgrade again"
    )


def _lock_timeout(
    component: str, error: BaseException, timeouts: SessionTimeouts, tries: int
) -> TableLockTimeout:
    revision = getattr(error, "revision", None) or "?"
    wanted = lock_wanted(failed_statement(error))
    result = getattr(error, "result", None)
    left = ", ".join(getattr(result, "after", ()) or ()) or "base"
    return TableLockTimeout(
        f"{component}: revision {revision} waited more than lock_timeout ({timeouts.lock_timeout:g}"
        f" s) for {wanted}, {tries} times; database left at {left}"
    )


def lock_wanted(statement: str | None) -> str:
    """What the statement waited for, in words: the lock and the table, from its syntax tree."""
    from manage_db.sql.locks import lock_wanted_by

    found = lock_wanted_by(statement) if statement else None
    if found is not None:
        return f"the {found[1]} it wanted on table {found[0]}"
    return "a table lock"
