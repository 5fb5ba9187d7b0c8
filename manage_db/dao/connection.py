"""Connections: libpq URIs (SQLAlchemy's spelling read too), and connecting with a clear error.

A URI here is any libpq connection string: ``postgresql://…`` or keyword/value
(``host=… dbname=…``); both are accepted wherever a URI is.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from manage_db.errors import ConfigError, ConnectionFailed

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
# SQLAlchemy's spellings (what people put in ALEMBIC_DB_URI and sqlalchemy.url) mean libpq's.
_SQLALCHEMY_SCHEME = re.compile(r"^(postgres(?:ql)?)\+psycopg2://", re.IGNORECASE)
# Text scrubbing, not SQL: passwords in a URI's userinfo or its keyword/value form, any scheme.
_URI_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
MAX_IDENTIFIER_BYTES = 63


def libpq_form(uri: str) -> str:
    """The URI libpq understands: SQLAlchemy's ``postgresql+psycopg2://`` without the driver."""
    return _SQLALCHEMY_SCHEME.sub(r"\1://", uri.strip(), count=1)


def parse_uri(uri: str) -> dict[str, str]:
    """Split a URI (either form) into its libpq keywords; ConfigError (exit 2) when invalid."""
    parse_dsn = _driver().extensions.parse_dsn

    try:
        params = dict(parse_dsn(libpq_form(uri)))
    except Exception as error:  # psycopg2.ProgrammingError: invalid dsn (its text echoes the URI)
        raise ConfigError(
            f"invalid database URI {redact(uri)}: {scrub(libpq_message(error), uri)}"
        ) from error
    port = params.get("port")
    if port is not None and not all(p.isdigit() for p in port.split(",")):
        raise ConfigError(f"invalid database URI {redact(uri)}: port {port!r} is not a number")
    return params


def check_uri(uri: str, where: str) -> None:
    """ConfigError naming ``where`` (a config key) when ``uri`` is not a valid connection URI."""
    try:
        parse_uri(uri)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


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
    # quote, not quote_plus: libpq decodes %20 but takes "+" literally.
    query = ("?" + urlencode(params, quote_via=quote)) if params else ""
    return f"postgresql://{auth}{netloc}/{quote(str(dbname or ''), safe='')}{query}"


def redact(uri: str) -> str:
    """The URI without its password, for logs and messages (a malformed one too)."""
    try:
        from psycopg2.extensions import parse_dsn

        params = dict(parse_dsn(libpq_form(uri)))
    except Exception:
        return scrub(uri)
    if "password" in params:
        params["password"] = "***"
    return build_uri(params)


def scrub(text: str, *secrets_from: str) -> str:
    """``text`` with every password it may carry replaced by ``***``.

    ``secrets_from``: URIs whose password must not appear either, even where ``text`` quotes
    them in a form the patterns do not recognise.
    """
    text = _URI_PASSWORD.sub(r"\1***@", text)
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    for uri in secrets_from:
        for password in _passwords_in(uri):
            text = text.replace(password, "***")
    return text


def _passwords_in(uri: str) -> list[str]:
    found = [m.group(0)[len(m.group(1)) : -1] for m in _URI_PASSWORD.finditer(uri)]
    found += [m.group(2).strip("'") for m in _KEYWORD_PASSWORD.finditer(uri)]
    return [p for p in found if p and p != "***"]


def has_password(uri: str) -> bool:
    """Does the URI carry a password (a secret on a command line)?"""
    try:
        return bool(parse_uri(uri).get("password"))
    except (ConfigError, ConnectionFailed):  # malformed, or no driver to parse it
        return bool(_passwords_in(uri))


def search_path_option(*schemas: str) -> str:
    """libpq ``options`` value setting ``search_path`` to ``schemas``, whatever their characters.

    Each identifier is quoted for PostgreSQL (so commas, upper case and quotes stay in the name),
    then spaces and backslashes are escaped for libpq's own splitting of ``options``.
    """
    quoted = ",".join('"' + schema.replace('"', '""') + '"' for schema in schemas)
    escaped = quoted.replace("\\", "\\\\").replace(" ", "\\ ")
    return f"-c search_path={escaped}"


def describe(uri: str) -> str:
    """``role@host:port/db`` — how messages name a connection."""
    params = parse_uri(uri)
    host = params.get("host", "localhost")
    port = params.get("port", "5432")
    return f"{params.get('user', '?')}@{host}:{port}/{params.get('dbname', '?')}"


def connect(uri: str, *, wait: float = 0.0, autocommit: bool = True) -> Connection:
    """Connect, retrying while the server starts (up to ``wait`` seconds).

    Raises ConnectionFailed with one line naming the role and server.
    """
    psycopg2 = _driver()
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            conn = psycopg2.connect(libpq_form(uri), connect_timeout=max(1, int(wait) or 5))
            conn.autocommit = autocommit
            return conn
        except psycopg2.OperationalError as error:
            message = scrub(libpq_message(error), uri)
            transient = any(t in message.lower() for t in _TRANSIENT)
            if not transient or time.monotonic() + delay > deadline:
                raise ConnectionFailed(f"cannot connect to {describe(uri)}: {message}") from error
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _driver() -> Any:
    """psycopg2, or ConnectionFailed in one line when it is missing (``--help`` needs it not)."""
    try:
        import psycopg2
        import psycopg2.extensions
    except ImportError as error:
        raise ConnectionFailed(
            "the PostgreSQL driver psycopg2 is not installed (pip install psycopg2-binary, or "
            "apt install python3-psycopg2)"
        ) from error
    return psycopg2


def libpq_message(error: BaseException) -> str:
    """The first line of a driver error that says what happened (not DETAIL or HINT), without
    libpq's ``FATAL:``; the error's type when it says nothing."""
    text = str(error).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("DETAIL", "HINT")):
            return line.removeprefix("FATAL:").strip()
    return type(error).__name__


def rendered(cursor: Any, statement: Any, parameters: Any) -> str:
    """``statement`` with ``parameters`` interpolated by psycopg2, as ``execute`` would send it."""
    from psycopg2.extensions import encodings

    codec = encodings.get(cursor.connection.encoding, "utf-8")
    return str(cursor.mogrify(statement, parameters).decode(codec))
