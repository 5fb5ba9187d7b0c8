"""Errors a user can cause, each with the exit code the command line returns for it.

The CLI catches ``ManageDbError`` once, prints ``str(error)`` as one line and exits with
``error.exit_code``; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

EXIT_FINDINGS = 1  # lint errors, audit findings, verify defects
EXIT_USAGE = 2  # bad option, bad configuration file
EXIT_BEHIND = 3  # status, check-models --live: a component (its database) is not at head
EXIT_CONNECTION = 4  # server unreachable, authentication failed
EXIT_MIGRATION = 5  # a migration failed; the database is at the last good revision
EXIT_TREE = 6  # unknown revision, several heads, a revision file that does not load
EXIT_LOCK = 7  # another process held the migration lock past the timeout
EXIT_DRIFT = 8  # an applied revision was edited, is missing from the tree, or was interrupted
EXIT_STANDBYS_BEHIND = 9  # the primary is upgraded; standbys did not replay it within replica_wait


class ManageDbError(Exception):
    """Base of every error the user can cause; a subclass names its code on its ``class`` line."""

    exit_code = EXIT_FINDINGS

    def __init_subclass__(cls, exit_code: int | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if exit_code is not None:
            cls.exit_code = exit_code


class ConfigError(ManageDbError, exit_code=EXIT_USAGE):
    """Broken YAML, an unknown key, a wrong type, an unknown component."""


class ProvisioningRefused(ManageDbError, exit_code=EXIT_USAGE):
    """init: the server refuses what the configuration asks for (an extension it lacks)."""


class NotAtHead(ManageDbError, exit_code=EXIT_BEHIND):
    """check-models --live: the live database is not at its tree's heads."""


class ConnectionFailed(ManageDbError, exit_code=EXIT_CONNECTION):
    """The server cannot be reached or refused the credentials."""


class NotPrimary(ConnectionFailed):
    """A command that writes reached a standby (a server in recovery), or no host was a primary."""


class MigrationFailed(ManageDbError, exit_code=EXIT_MIGRATION):
    """A migration raised; its transaction was rolled back."""


class TreeError(ManageDbError, exit_code=EXIT_TREE):
    """The migration tree is inconsistent or a revision cannot be found or loaded."""


class LockTimeout(ManageDbError, exit_code=EXIT_LOCK):
    """Another process kept the component's migration lock past the timeout."""


class HistoryDrift(ManageDbError, exit_code=EXIT_DRIFT):
    """An applied revision was edited or is missing, or a non-transactional one was interrupted."""


class BelowBaseline(HistoryDrift):
    """The database is at a revision a squash removed: older than the tree's baseline."""


class StandbysBehind(ManageDbError, exit_code=EXIT_STANDBYS_BEHIND):
    """``replica_wait`` ran out before enough standbys replayed the run's last commit."""


# Cancellation, timeouts and lost connections (issue 10); 128 + the signal, as shells report it.
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class TableLockTimeout(LockTimeout):
    """A revision waited longer than ``lock_timeout`` for a table lock on every attempt."""


class ServerUnresponsive(ConnectionFailed):
    """The server stopped answering for longer than ``server_timeout``."""


class ConnectionLost(MigrationFailed):
    """The connection went away mid-run (server restart, network cut)."""


class Interrupted(ManageDbError):
    """SIGINT or SIGTERM ended the run; the running revision was cancelled and rolled back."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def first_line(error: BaseException) -> str:
    """The first line of an error's text, or its type's name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def one_line(error: BaseException) -> str:
    """``ErrorName: first line`` of an error: the database's own when a driver error is wrapped
    (SQLAlchemy's ``orig``), else the exception's."""
    orig = getattr(error, "orig", None)
    cause = orig if orig is not None else error
    return f"{type(cause).__name__}: {first_line(cause)}"
