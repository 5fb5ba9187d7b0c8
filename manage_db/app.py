"""The run's context: what every command receives, each job kept by its own object; how a run
starts and how it ends on an error. Both front doors (the launcher's fast path and the click
command line) call ``start_app`` and ``report``.

``settings`` (config.Settings, read-only), ``access`` (how to reach each component), the component
registry, and ``privileges`` (the drop from root). Services never see this object: commands hand
them components, URIs and typed options.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.access import Access
from manage_db.config import Settings, global_options, load_settings
from manage_db.console import echo
from manage_db.errors import ManageDbError
from manage_db.models import Component
from manage_db.privileges import PrivilegeDrop
from manage_db.registry import Registry


class App:
    """The settings of the run and the objects derived from them."""

    def __init__(self, settings: Settings, privileges: PrivilegeDrop | None = None):
        self.settings = settings
        self.access = Access(settings)
        self.registry = Registry(settings)
        self.privileges = privileges or PrivilegeDrop.none()

    def with_admin_uri(self, admin_uri: str | None) -> App:
        """The same run with ``--admin-uri`` taking the place of the configured one."""
        if not admin_uri:
            return self
        from manage_db.dao.connection import check_uri

        check_uri(admin_uri, "--admin-uri")
        return App(self.settings.replace(admin_uri=admin_uri), self.privileges)

    def components(self, names: Sequence[str] = ()) -> list[Component]:
        """The named components (all when empty), in depends_on order."""
        return self.registry.select(names)

    def owner_uri(self, component: Component) -> str:
        """How to connect as the component's owner role to its database."""
        return self.access.owner_uri(component)

    def owner_password(self, component: Component) -> str | None:
        """The owner's password: from the config, a file, or none."""
        return self.access.owner_password(component)

    def admin_uri(self, database: str | None = None, component: Component | None = None) -> str:
        """Superuser connection on the server of ``component`` (default: the configured one)."""
        return self.access.admin_uri(database, component)

    @property
    def uses_peer_admin(self) -> bool:
        """init connects through the postgres OS user (no admin URI configured)."""
        return self.access.peer_admin

    def become_unprivileged(self, *, peer_admin: bool = False) -> None:
        """Drop root before any work, when the command line asked for it (``main()`` does)."""
        self.privileges.apply(peer_admin=peer_admin)


# Commands whose warnings about the log file would be noise.
QUIET_COMMANDS = ("revision", "heads", "history", "lint")
# Commands that never connect: the connection URIs of their settings are not checked (it takes
# the PostgreSQL driver; config.Key.problem), as the commands that connect do.
OFFLINE_COMMANDS = ("lint",)


def start_app(command: str | None, options: Mapping[str, Any], drop_privileges: bool) -> App:
    """The run's App from the global options (``config.global_options()``, by key name):
    settings, logging, the privilege drop. ManageDbError for a bad configuration."""
    from manage_db.log import setup_logging

    overrides = {name: options.get(name) for name in global_options() if name != "config_file"}
    settings = load_settings(
        options.get("config_file"), overrides, offline=command in OFFLINE_COMMANDS
    )
    warning = setup_logging(settings.log_file, settings.log_level, bool(settings.debug))
    if warning and command not in QUIET_COMMANDS:
        echo(f"wazo-manage-db: warning: {warning}", err=True)
    db_uri = options.get("db_uri")
    if db_uri:
        from manage_db.dao.connection import has_password

        if has_password(db_uri):
            echo(
                "wazo-manage-db: warning: --db-uri carries a password, which other users can see "
                "in the process list; put it in a component's password_file instead",
                err=True,
            )
    return App(settings, PrivilegeDrop(drop_privileges, settings.user, settings.user_required))


def report(error: BaseException, debug: bool) -> int:
    """The one place an error ends a run: one line on stderr (the traceback too with
    ``--debug``), and the exit code. Errors that are not the user's are raised again."""
    if isinstance(error, ManageDbError):
        if debug:
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__)
        echo(f"wazo-manage-db: {error}", err=True)
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        echo("wazo-manage-db: aborted", err=True)
        return 1
    if isinstance(error, BrokenPipeError):
        # As click does: the reader went away; say nothing more, on a stream that cannot fail.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    raise error
