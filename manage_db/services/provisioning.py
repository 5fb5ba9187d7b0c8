"""Provisioning: make sure each component's role, database, schema and extensions exist."""

from __future__ import annotations

import logging

from manage_db.dao import provisioning as dao
from manage_db.dao.connection import build_uri, connect, parse_uri
from manage_db.models import Component

logger = logging.getLogger(__name__)


def provision_component(
    admin_uri: str,
    component: Component,
    *,
    password: str | None,
    server_wait: float = 0.0,
) -> list[str]:
    """Create what is missing for ``component``; return what was done (empty: nothing to do).

    "created X" for what this run created, "X already there" for what a concurrent run made.

    ``admin_uri`` is a superuser connection on the component's server; the schema and the
    extensions are created by the same user connected to the component's database.
    Safe to run concurrently: an object another process created meanwhile counts as existing.
    """
    actions: list[str] = []

    def record(created: bool, what: str) -> None:
        actions.append(f"created {what}" if created else f"{what} already there")

    conn = connect(admin_uri, wait=server_wait, writes=True)
    try:
        if not dao.role_exists(conn, component.owner):
            record(dao.create_role(conn, component.owner, password), f"role {component.owner}")
        if not dao.database_exists(conn, component.database):
            created = dao.create_database(conn, component.database, component.owner)
            record(created, f"database {component.database}")
    finally:
        conn.close()

    if component.schema or component.extensions:
        params = parse_uri(admin_uri)
        params["dbname"] = component.database
        conn = connect(build_uri(params), wait=server_wait, writes=True)
        try:
            if component.schema and not dao.schema_exists(conn, component.schema):
                created = dao.create_schema(conn, component.schema, component.owner)
                record(created, f"schema {component.schema}")
            installed = dao.installed_extensions(conn)
            for extension in [e for e in component.extensions if e not in installed]:
                record(dao.create_extension(conn, extension), f"extension {extension}")
        finally:
            conn.close()
    for action in actions:
        logger.info("%s: %s", component.name, action)
    return actions
