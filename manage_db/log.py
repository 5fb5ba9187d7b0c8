"""Logging: the tool's own file at the configured level, and concise warnings on the console."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
import time
from collections.abc import Iterator

LOG_FORMAT = "%(asctime)s [pid %(process)d] (%(levelname)s) (%(name)s): %(message)s"


class _OwnHandler:
    """Marks the handlers we install, so a second setup (tests, sandbox) replaces them."""


class _LogFile(_OwnHandler, logging.FileHandler):
    """The log file. Inside ``buffered()`` it is written through its buffer: a warning or worse
    is flushed at once, other lines at least every FLUSH_SECONDS and when the block ends (a long
    upgrade logs lines per revision; a flush each costs more than the line)."""

    FLUSH_SECONDS = 0.5
    buffering = False

    def __init__(self, path: str):
        super().__init__(path, encoding="utf-8")
        self._flushed = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        if not _LogFile.buffering:
            super().emit(record)
            return
        try:
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(self.format(record) + self.terminator)
            now = time.monotonic()
            if record.levelno >= logging.WARNING or now - self._flushed >= self.FLUSH_SECONDS:
                self.flush()
                self._flushed = now
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def buffered() -> Iterator[None]:
    """The log file written through its buffer for the block, flushed when it ends."""
    previous, _LogFile.buffering = _LogFile.buffering, True
    try:
        yield
    finally:
        _LogFile.buffering = previous
        for handler in logging.getLogger().handlers:
            if isinstance(handler, _LogFile):
                handler.flush()


class _ConsoleFormatter(logging.Formatter):
    """``wazo-manage-db: warning: …``, the form of every other line the tool prints on stderr."""

    def format(self, record: logging.LogRecord) -> str:
        return f"wazo-manage-db: {record.levelname.lower()}: {record.getMessage()}"


def setup_logging(log_file: str | None, level: str = "info", debug: bool = False) -> str | None:
    """Configure the root logger; return a warning when the log file could not be opened."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _OwnHandler):
            root.removeHandler(handler)
            handler.close()
    numeric = logging.DEBUG if debug else getattr(logging, level.upper(), logging.INFO)
    root.setLevel(numeric)

    console = type("ConsoleHandler", (_OwnHandler, logging.StreamHandler), {})(sys.stderr)
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    # Without --debug a warning reads like every other line the tool prints on stderr.
    console.setFormatter(logging.Formatter(LOG_FORMAT) if debug else _ConsoleFormatter())
    console.addFilter(lambda record: getattr(record, "console", True))
    root.addHandler(console)

    warning = None
    if log_file:
        try:
            _create_private(log_file)
            file_handler = _LogFile(log_file)
        except OSError as error:
            warning = f"cannot write log file {log_file} ({error.strerror}); logging to stderr only"
        else:
            file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
            root.addHandler(file_handler)
    # alembic and SQLAlchemy speak at INFO to our file, never on the console unless --debug.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    return warning


def _create_private(path: str) -> None:
    """Create the log file 0640 (the tool's user and group, never the world): it names roles,
    databases and servers. An existing world-readable regular file we own loses that bit (never
    /dev/null or another device)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode) and mode & stat.S_IRWXO and os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, stat.S_IMODE(mode) & ~stat.S_IRWXO)
    finally:
        os.close(fd)
