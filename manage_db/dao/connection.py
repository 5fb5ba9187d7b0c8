"""Connections: libpq URIs, SQLAlchemy URLs, and connecting with a clear error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from manage_db.errors import ConnectionFailed

if TYPE_CHECKING:
    from psycopg2.extensions import connection as Connection

# libpq messages that mean "not up yet": worth waiting for, unlike a refused password.
_TRANSIENT = (
    "could not connect",
    "connection refused",
    "the database system is starting up",
    "the database system is shutting down",
    "no such file or directory",
    "server closed the connection unexpectedly",
)


def parse_uri(uri: str) -> dict[str, str]:
    """Split a libpq URI or keyword DSN into its keywords."""
    from psycopg2.extensions import parse_dsn

    try:
        return dict(parse_dsn(uri))
    except Exception as error:  # psycopg2.ProgrammingError: invalid dsn
        raise ConnectionFailed(f"invalid database URI {redact(uri)}: {error}") from error


def build_uri(params: dict[str, Any]) -> str:
    """A ``postgresql://`` URI from libpq keywords (host may be a socket directory)."""
    params = {k: v for k, v in params.items() if v not in (None, "")}
    user = params.pop("user", None)
    password = params.pop("password", None)
    host = params.pop("host", None)
    port = params.pop("port", None)
    dbname = params.pop("dbname", None)
    auth = ""
    if user:
        auth = quote(str(user), safe="")
        if password:
            auth += ":" + quote(str(password), safe="")
        auth += "@"
    netloc = ""
    if host and not str(host).startswith("/"):
        netloc = host
        if port:
            netloc += f":{port}"
    else:
        if host:
            params["host"] = host
        if port:
            params["port"] = port
    # %20, not "+": libpq does not read "+" as a space in a URI.
    query = ("?" + urlencode(params, quote_via=quote)) if params else ""
    return f"postgresql://{auth}{netloc}/{quote(str(dbname or ''), safe='')}{query}"


def redact(uri: str) -> str:
    """The URI without its password, for logs and messages."""
    try:
        from psycopg2.extensions import parse_dsn

        params = dict(parse_dsn(uri))
    except Exception:
        return "<unparsable URI>"
    if "password" in params:
        params["password"] = "***"
    return build_uri(params)


def describe(uri: str) -> str:
    """``role@host:port/db`` — how messages name a connection."""
    params = parse_uri(uri)
    host = params.get("host", "localhost")
    port = params.get("port", "5432")
    return f"{params.get('user', '?')}@{host}:{port}/{params.get('dbname', '?')}"


def sqlalchemy_url(uri: str) -> str:
    """SQLAlchemy URL for a libpq URI, pinned to psycopg2 (a bare scheme means psycopg 3 in 2.1)."""
    for scheme in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg2://" + uri[len(scheme) :]
    return "postgresql+psycopg2://" + build_uri(parse_uri(uri))[len("postgresql://") :]


def libpq_uri(url: str) -> str:
    """The libpq form of a SQLAlchemy-style URL (drops the ``+driver`` part)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.startswith("postgres"):
        return "postgresql://" + rest
    return url


def connect(uri: str, *, wait: float = 0.0, autocommit: bool = True) -> Connection:
    """Connect, retrying while the server starts (up to ``wait`` seconds).

    Raises ConnectionFailed with one line naming the role and server.
    """
    try:
        import psycopg2
    except ImportError as error:
        raise ConnectionFailed(
            "psycopg2 is not installed (pip install psycopg2-binary, or apt install "
            "python3-psycopg2)"
        ) from error

    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            conn = psycopg2.connect(uri, connect_timeout=max(1, int(wait) or 5))
            conn.autocommit = autocommit
            return conn
        except psycopg2.OperationalError as error:
            message = _first_line(error)
            transient = any(t in message.lower() for t in _TRANSIENT)
            if not transient or time.monotonic() + delay > deadline:
                raise ConnectionFailed(f"cannot connect to {describe(uri)}: {message}") from error
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("DETAIL", "HINT")):
            return line.removeprefix("FATAL:").strip()
    return type(error).__name__
