"""How to reach each component: the owner's and the superuser's connection URIs, and passwords."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from manage_db.errors import ConfigError
from manage_db.models import Component


class Access:
    """Connection details derived from the settings (``db_uri``, ``admin_uri``, ``socket_dir``)."""

    def __init__(self, settings: Mapping[str, Any]):
        self.db_uri: str = settings["db_uri"]
        self.configured_admin_uri: str | None = settings.get("admin_uri")
        self.socket_dir: str = settings.get("socket_dir") or "/var/run/postgresql"

    @property
    def peer_admin(self) -> bool:
        """init connects through the postgres OS user (no admin URI configured)."""
        return not self.configured_admin_uri

    def owner_uri(self, component: Component) -> str:
        """How to connect as the component's owner role to its database."""
        from manage_db.dao.connection import build_uri, parse_uri
        from manage_db.dao.session import confined

        if component.uri:
            params = parse_uri(component.uri)
        else:
            params = parse_uri(self.db_uri)
            params.update(user=component.owner, dbname=component.database)
            params.pop("password", None)
            password = self.owner_password(component)
            if password:
                params["password"] = password
        confined(params, component.schema, component.extensions)
        return build_uri(params)

    def owner_password(self, component: Component) -> str | None:
        """The owner's password: from the config, a file, or none (peer or trust auth)."""
        if component.password_file is not None:
            try:
                return component.password_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or "not UTF-8 text"
                raise ConfigError(
                    f"component '{component.name}': cannot read password file "
                    f"{component.password_file}: {reason}"
                ) from error
        return component.password

    def admin_uri(self, database: str | None = None, component: Component | None = None) -> str:
        """Superuser connection on the server of ``component`` (default: the configured one)."""
        from manage_db.dao.connection import build_uri, hosts_of, parse_uri

        configured = (component.admin_uri if component else None) or self.configured_admin_uri
        if configured:
            params = parse_uri(configured)
            if database:
                params["dbname"] = database
            return build_uri(params)
        # Peer authentication as the postgres OS user over the Unix socket, like the old init;
        # one socket per host of a multi-host URI (the servers of a pair on one machine).
        servers = hosts_of(component.uri if component and component.uri else self.db_uri)
        ports = [port for _, port in servers]
        return build_uri(
            {
                "user": "postgres",
                "host": ",".join(self.socket_dir for _ in servers),
                "port": ",".join(ports) if any(ports) else None,
                "dbname": database or "postgres",
            }
        )
