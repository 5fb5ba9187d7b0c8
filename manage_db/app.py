"""The run's context: what every command receives, each job kept by its own object.

``settings`` (config.Settings, read-only), ``access`` (how to reach each component), the component
registry, and ``privileges`` (the drop from root). Services never see this object: commands hand
them components, URIs and typed options.
"""

from __future__ import annotations

from collections.abc import Sequence

from manage_db.access import Access
from manage_db.config import Settings
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
