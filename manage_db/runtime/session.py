"""The connection setup of a migration session, carried in the connection URI itself, and the
SQLAlchemy URL alembic is handed for it.

Settings travel as libpq ``options`` (``-c name=value``), so they apply to every connection made
from the URI: ours, the verify throwaway's, and the engine a stock env.py creates itself from
``ALEMBIC_DB_URI``. A schema-confined component sees its own schema only (``search_path=<schema>``,
not ``<schema>,public``), the same in upgrade, status and verify.
"""

from __future__ import annotations

from collections.abc import Mapping

from manage_db.dao.connection import build_uri, libpq_form, parse_uri


def session_settings(schema: str | None) -> dict[str, str]:
    """The server settings of a migration session for a component confined to ``schema``."""
    settings: dict[str, str] = {}
    if schema:
        settings["search_path"] = '"' + schema.replace('"', '""') + '"'
    return settings


def with_session_settings(uri: str, settings: Mapping[str, str]) -> str:
    """``uri`` with ``settings`` added to its libpq ``options`` (given twice: ours wins)."""
    if not settings:
        return uri
    params = parse_uri(uri)
    given = params.get("options", "").strip()
    ours = " ".join(f"-c {name}={_escaped(value)}" for name, value in settings.items())
    params["options"] = f"{given} {ours}".strip()
    return build_uri(params)


def migration_uri(uri: str) -> str:
    """The URI the migrations themselves run on: ``uri`` with asynchronous commits.

    Each revision commits on its own; waiting for the WAL flush of every one of them costs a disk
    sync per revision (3 ms each, a third of a 1,000-revision upgrade). Asynchronously committed
    steps stay atomic (a crash loses whole revisions, never half of one, and a rerun applies them
    again); ``dao.version_table.wait_durable`` makes them durable before the run reports.
    """
    return with_session_settings(uri, {"synchronous_commit": "off"})


def session_uri(uri: str, schema: str | None) -> str:
    """The URI a migration session of a component confined to ``schema`` connects with."""
    return with_session_settings(uri, session_settings(schema))


def sqlalchemy_url(uri: str) -> str:
    """SQLAlchemy URL for a libpq URI, pinned to psycopg2 (a bare scheme means psycopg 3 in 2.1)."""
    uri = libpq_form(uri)
    for scheme in ("postgresql://", "postgres://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg2://" + uri[len(scheme) :]
    return "postgresql+psycopg2://" + build_uri(parse_uri(uri))[len("postgresql://") :]


def _escaped(value: str) -> str:
    # libpq splits options on whitespace; a backslash keeps a space or backslash in the value.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")
