"""Logging: the tool's own file at the configured level, and concise warnings on the console."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s [pid %(process)d] (%(levelname)s) (%(name)s): %(message)s"


class _OwnHandler:
    """Marks the handlers we install, so a second setup (tests, sandbox) replaces them."""


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
    console.setFormatter(logging.Formatter(LOG_FORMAT if debug else "%(message)s"))
    console.addFilter(lambda record: getattr(record, "console", True))
    root.addHandler(console)

    warning = None
    if log_file:
        try:
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
