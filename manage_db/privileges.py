"""Started as root, the tool becomes an unprivileged user before touching anything."""

from __future__ import annotations

import logging
import os
import pwd
import stat
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import manage_db
from manage_db.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrivilegeDrop:
    """Whether and to whom a run started as root switches before any work."""

    enabled: bool
    user: str
    required: bool  # the user was named in the config or with -u: it must exist

    @classmethod
    def none(cls) -> PrivilegeDrop:
        """No drop (the CLI run in-process, as tests and the pytest plugin do)."""
        return cls(False, "", False)

    def apply(self, *, peer_admin: bool = False) -> None:
        """Drop now; ``peer_admin``: become ``postgres`` for a superuser connection by peer auth."""
        if not self.enabled:
            return
        if peer_admin:
            drop_privileges("postgres", required=True)
        else:
            drop_privileges(self.user, required=self.required)


def drop_privileges(user: str, *, required: bool) -> str | None:
    """Switch the process to ``user`` when running as root; return the user now in effect.

    ``required`` False (the built-in default user): a missing user leaves the process as it is,
    with a warning — the Debian package creates it; a user named explicitly must exist.
    """
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        if required:
            raise ConfigError(f"cannot drop privileges: user '{user}' does not exist") from None
        logger.warning("running as root: user '%s' does not exist (set one with -u)", user)
        return None
    if entry.pw_uid == 0:
        return user
    _check_code_is_readable(user)
    os.initgroups(user, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir
    os.environ["USER"] = os.environ["LOGNAME"] = user
    logger.debug("dropped privileges to %s", user)
    return user


def _check_code_is_readable(user: str) -> None:
    """Refuse to switch when the new user could not import the rest of the program.

    A venv or an interpreter under /root (pyenv) is unreadable to other users; switching there
    would end in an ImportError halfway through a command.
    """
    paths = sysconfig.get_paths()
    for path in (paths["stdlib"], paths["purelib"], Path(manage_db.__file__).parent):
        for part in [Path(path), *Path(path).parents]:
            if part.exists() and not os.stat(part).st_mode & stat.S_IXOTH:
                raise ConfigError(
                    f"cannot run as user '{user}': {part} is not readable by it "
                    "(install where that user can read, or choose the user with -u)"
                )
