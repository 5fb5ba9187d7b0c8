"""The run's context: settings, the components they describe, and how to reach each one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.errors import ConfigError
from manage_db.models import Component


class App:
    """What every command receives: the merged settings and derived connection details."""

    def __init__(self, settings: Mapping[str, Any]):
        self.settings = dict(settings)
        self._components: list[Component] | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> App:
        return cls(settings)

    @property
    def debug(self) -> bool:
        return bool(self.settings.get("debug"))

    def all_components(self) -> list[Component]:
        """Every enabled component, checked once per run, in depends_on order."""
        if self._components is None:
            from manage_db.registry import build_components

            self._components = build_components(self.settings)
        return self._components

    def components(self, names: Sequence[str] = ()) -> list[Component]:
        """The named components (all when empty), in depends_on order."""
        from manage_db.registry import select

        return select(self.all_components(), names)

    def owner_uri(self, component: Component) -> str:
        """How to connect as the component's owner role to its database."""
        from manage_db.dao.connection import build_uri, parse_uri

        if component.uri:
            params = parse_uri(component.uri)
        else:
            params = parse_uri(self.settings["db_uri"])
            params.update(user=component.owner, dbname=component.database)
            params.pop("password", None)
            password = self.owner_password(component)
            if password:
                params["password"] = password
        from manage_db.runtime.session import session_uri

        return session_uri(build_uri(params), component.schema)

    def owner_password(self, component: Component) -> str | None:
        """The owner's password: from the config, a file, or none (peer or trust auth)."""
        if component.password_file is not None:
            try:
                return component.password_file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigError(
                    f"component '{component.name}': cannot read password file "
                    f"{component.password_file}: {error.strerror}"
                ) from error
        return component.password

    def admin_uri(self, database: str | None = None, component: Component | None = None) -> str:
        """Superuser connection on the server of ``component`` (default: the configured one)."""
        from manage_db.dao.connection import build_uri, parse_uri

        configured = (component.admin_uri if component else None) or self.settings.get("admin_uri")
        if configured:
            params = parse_uri(configured)
            if database:
                params["dbname"] = database
            return build_uri(params)
        # Peer authentication as the postgres OS user over the Unix socket, like the old init.
        server = parse_uri(
            component.uri if component and component.uri else self.settings["db_uri"]
        )
        return build_uri(
            {
                "user": "postgres",
                "host": self.settings.get("socket_dir") or "/var/run/postgresql",
                "port": server.get("port"),
                "dbname": database or "postgres",
            }
        )

    @property
    def uses_peer_admin(self) -> bool:
        """init connects through the postgres OS user (no admin URI configured)."""
        return not self.settings.get("admin_uri")

    def become_unprivileged(self, *, peer_admin: bool = False) -> None:
        """Drop root before any work, when the command line asked for it (``main()`` does).

        ``peer_admin``: the command connects as superuser through the Unix socket's peer
        authentication, so it becomes the ``postgres`` OS user instead of the configured one.
        """
        if not self.settings.get("_drop_privileges"):
            return
        from manage_db.privileges import drop_privileges

        if peer_admin:
            drop_privileges("postgres", required=True)
        else:
            drop_privileges(self.settings["user"], required=bool(self.settings.get("_user_given")))
