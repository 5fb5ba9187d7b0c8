"""The SQLAlchemy URL alembic is handed for a libpq URI (the session's settings themselves are
built in ``dao.session``, and travel inside the URI).

Several hosts (``postgresql://u@h1:5432,h2:5433/db``) are spelled the one way both SQLAlchemy
1.4 and 2.x hand to psycopg2 unchanged: ``?host=h1,h2&port=5432,5433`` (1.4 passes query
parameters through as they are; 2.x splits both on commas and joins them back, refusing only
host and port counts that differ, so a single port is repeated for every host).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from manage_db.dao.connection import build_uri, hosts_of, libpq_form, parse_uri
from manage_db.dao.session import asynchronous_commit

_DRIVER_SCHEME = "postgresql+psycopg2://"


def migration_uri(uri: str) -> str:
    """The URI the migrations themselves run on: ``uri`` with asynchronous commits."""
    return asynchronous_commit(uri)


def sqlalchemy_url(uri: str) -> str:
    """SQLAlchemy URL for a libpq URI, pinned to psycopg2 (a bare scheme means psycopg 3 in 2.1)."""
    uri = libpq_form(uri)
    params = parse_uri(uri)
    if "," in params.get("host", "") or "," in params.get("port", ""):
        return _multi_host_url(uri, params)
    for scheme in ("postgresql://", "postgres://"):
        if uri.startswith(scheme):
            return _DRIVER_SCHEME + uri[len(scheme) :]
    return _DRIVER_SCHEME + build_uri(params)[len("postgresql://") :]


def _multi_host_url(uri: str, params: dict[str, str]) -> str:
    servers = hosts_of(uri)
    query = {k: v for k, v in params.items() if k not in ("user", "password", "dbname")}
    query["host"] = ",".join(host for host, _ in servers)
    if any(port for _, port in servers):
        query["port"] = ",".join(port for _, port in servers)
    auth = ""
    if params.get("user"):
        auth = quote(params["user"], safe="")
        if params.get("password"):
            auth += ":" + quote(params["password"], safe="")
        auth += "@"
    dbname = quote(params.get("dbname", ""), safe="")
    return f"{_DRIVER_SCHEME}{auth}/{dbname}?{urlencode(query, quote_via=quote, safe=',/')}"
