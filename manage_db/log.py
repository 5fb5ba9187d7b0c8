"""Logging: the tool's own file at the configured level, and concise warnings on the console."""

from __future__ import annotations

import logging
import os
import stat
import sys

LOG_FORMAT = "%(asctime)s [pid %(process)d] (%(levelname)s) (%(name)s): %(message)s"


class _OwnHandler:
    """Marks the handlers we install, so a second setup (tests, sandbox) replaces them."""


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
            file_handler = type("FileHandler", (_OwnHandler, logging.FileHandler), {})(
                log_file, encoding="utf-8"
            )
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
