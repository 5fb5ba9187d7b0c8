"""Cancellation on SIGINT/SIGTERM, and a deadline on a server that stops answering.

psycopg2 lets a *wait callback* do every wait of every connection of the process (also the
engine a stock env.py builds for itself). Ours waits in short slices, so that:

- a signal (SIGINT raises KeyboardInterrupt; our SIGTERM handler raises it too) cancels the
  running statement on the server (``connection.cancel()``) before the interrupt goes on up:
  the revision's transaction is rolled back, the migration lock released in ``finally`` blocks,
  and the command exits 130 or 143 with one line;
- a wait that lasts a while checks that the server still answers, with a probe connection of
  its own; a server that does not answer within ``server_timeout`` (frozen, or its network cut)
  ends the run with :class:`~manage_db.errors.ServerUnresponsive` (exit 4).
"""

from __future__ import annotations

import contextlib
import logging
import select
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from manage_db.errors import EXIT_SIGINT, EXIT_SIGTERM, Interrupted, ServerUnresponsive

logger = logging.getLogger(__name__)

# How long a cancelled statement may take to end before the interrupt goes on anyway.
_CANCEL_GRACE = 1.0
_SLICE = 0.25
# After a signal, how long each remaining wait (rollback, unlock) may take.
_CLEANUP_WAIT = 0.5


class InterruptedRun(KeyboardInterrupt):
    """A signal ended the run; carries the line to print (raised through the run's layers)."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.message, self.signum = message, signum


class InterruptedCleanup(Exception):
    """A wait after the signal took too long: the run goes on ending (as a KeyboardInterrupt)."""


class _Watch:
    """The state of the wait callback: the signal received, the probe, the deadline."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.probe_uri: str | None = None
        self.server_timeout = 30.0
        self.frozen: str | None = None
        self._probe: Any = None

    # The callback psycopg2 calls for every wait.
    def wait(self, conn: Any) -> None:
        import psycopg2.extensions as ext

        last_alive = started = time.monotonic()
        try:
            while True:
                state = conn.poll()
                if state == ext.POLL_OK:
                    return
                if self.frozen:
                    raise ServerUnresponsive(self.frozen)
                if self.signum is not None and time.monotonic() - started > _CLEANUP_WAIT:
                    raise InterruptedCleanup  # cleanup after a signal must not hang on the server
                fd = conn.fileno()
                readers, writers = ([fd], []) if state == ext.POLL_READ else ([], [fd])
                if select.select(readers, writers, [], _SLICE) != ([], [], []):
                    continue
                if time.monotonic() - last_alive >= self._probe_interval():
                    self._check_server(last_alive)
                    last_alive = time.monotonic()
        except InterruptedCleanup:
            raise KeyboardInterrupt from None
        except KeyboardInterrupt:
            self._cancel(conn)
            raise

    def _probe_interval(self) -> float:
        return min(1.0, self.server_timeout / 4)

    def _check_server(self, last_alive: float) -> None:
        """Ask the server for ``SELECT 1`` on the probe connection, by the deadline."""
        if self.probe_uri is None:
            return
        import psycopg2

        deadline = last_alive + self.server_timeout
        try:
            if self._probe is None or self._probe.closed:
                self._probe = psycopg2.connect(self.probe_uri, async_=True)
                self._poll_until(self._probe, deadline)
            cursor = self._probe.cursor()
            cursor.execute("SELECT 1")
            self._poll_until(self._probe, deadline)
            cursor.close()
        except TimeoutError:
            self._drop_probe()
            from manage_db.dao.connection import describe

            self.frozen = (
                f"the server of {describe(self.probe_uri)} did not answer for "
                f"{self.server_timeout:g} s (server_timeout); the run was stopped, the revisions "
                "committed before stay applied"
            )
            logger.error("%s", self.frozen, extra={"console": False})
            raise ServerUnresponsive(self.frozen) from None
        except psycopg2.Error:
            # Refused or reset: the server is restarting, which the run's own connection reports.
            self._drop_probe()

    @staticmethod
    def _poll_until(conn: Any, deadline: float) -> None:
        import psycopg2.extensions as ext

        while True:
            state = conn.poll()
            if state == ext.POLL_OK:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            fd = conn.fileno()
            readers, writers = ([fd], []) if state == ext.POLL_READ else ([], [fd])
            select.select(readers, writers, [], min(remaining, _SLICE))

    def _drop_probe(self) -> None:
        if self._probe is not None:
            with contextlib.suppress(Exception):
                self._probe.close()
        self._probe = None

    def _cancel(self, conn: Any) -> None:
        """Cancel the running statement on the server and give it a moment to end."""
        import psycopg2
        import psycopg2.extensions as ext

        if self.signum is None:
            self.signum = signal.SIGINT
        deadline = time.monotonic() + _CANCEL_GRACE
        try:
            self._cancel_on_server(conn, deadline)
        except (TimeoutError, psycopg2.Error, OSError):
            return  # the server does not answer: the connection's end will stop the statement
        try:
            while time.monotonic() < deadline:
                state = conn.poll()
                if state == ext.POLL_OK:
                    return
                fd = conn.fileno()
                readers, writers = ([fd], []) if state == ext.POLL_READ else ([], [fd])
                select.select(readers, writers, [], _SLICE)
        except (psycopg2.Error, KeyboardInterrupt, OSError):
            return  # the statement ended (cancelled), or the connection is gone

    def _cancel_on_server(self, conn: Any, deadline: float) -> None:
        """``pg_cancel_backend`` from a connection of our own, by the deadline.

        Not libpq's cancel request: it waits for the server's reply without a timeout (and
        psycopg2 holds the GIL meanwhile), so a frozen server would hang the process.
        """
        import psycopg2

        if self.probe_uri is None:
            conn.cancel()
            return
        canceller = psycopg2.connect(self.probe_uri, async_=True)
        try:
            self._poll_until(canceller, deadline)
            cursor = canceller.cursor()
            cursor.execute("SELECT pg_cancel_backend(%s)", (conn.get_backend_pid(),))
            self._poll_until(canceller, deadline)
        finally:
            canceller.close()

    def close(self) -> None:
        self._drop_probe()


_watch: _Watch | None = None


@contextlib.contextmanager
def watching(uri: str, server_timeout: float) -> Iterator[None]:
    """Do every database wait through the cancelling, deadline-keeping callback."""
    import psycopg2.extensions

    from manage_db.dao.connection import asking_for_primary

    global _watch
    outer = _watch
    watch = _Watch()
    # Of several hosts, the probe and the canceller reach the primary the run writes on.
    watch.probe_uri, watch.server_timeout = asking_for_primary(uri), server_timeout
    watch.signum = outer.signum if outer else None
    _watch = watch
    previous = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(watch.wait)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(previous)
        watch.close()
        _watch = outer
        if outer is not None and watch.signum is not None:
            outer.signum = watch.signum


def received_signal() -> int | None:
    """The signal that is ending the run, if any."""
    return _signal_seen if _watch is None else (_watch.signum or _signal_seen)


_signal_seen: int | None = None


def _on_signal(signum: int, frame: Any) -> None:
    global _signal_seen
    if _signal_seen is not None:
        return  # the first one is already on its way; a second Ctrl-C must not break cleanup
    _signal_seen = signum
    if _watch is not None:
        _watch.signum = signum
    raise KeyboardInterrupt


def signal_name(signum: int | None) -> str:
    return signal.Signals(signum or signal.SIGINT).name


@contextlib.contextmanager
def cancellable() -> Iterator[None]:
    """For a command: SIGINT and SIGTERM end it cleanly, with one line and exit 130 or 143."""
    global _signal_seen
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _signal_seen = None
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except KeyboardInterrupt as interrupt:
        signum = received_signal() or signal.SIGINT
        message = getattr(interrupt, "message", None) or f"interrupted by {signal_name(signum)}"
        logger.error("%s", message, extra={"console": False})
        raise Interrupted(
            message, EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT
        ) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _signal_seen = None
