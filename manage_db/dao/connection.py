"""Connections: libpq URIs (SQLAlchemy's spelling read too), and connecting with a clear error.

A URI here is any libpq connection string: ``postgresql://…`` or keyword/value
(``host=… dbname=…``); both are accepted wherever a URI is.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from manage_db.errors import ConfigError, ConnectionFailed, NotPrimary

logger = logging.getLogger(__name__)

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
    # A standby where a primary is wanted: during a failover, the promotion may be a moment away.
    "hot standby mode",
)
# SQLAlchemy's spellings (what people put in ALEMBIC_DB_URI and sqlalchemy.url) mean libpq's.
_SQLALCHEMY_SCHEME = re.compile(r"^(postgres(?:ql)?)\+psycopg2://", re.IGNORECASE)
# Text scrubbing, not SQL: passwords in a URI's userinfo or its keyword/value form, any scheme.
_URI_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
MAX_IDENTIFIER_BYTES = 63


def libpq_form(uri: str) -> str:
    """The URI libpq understands: SQLAlchemy's ``postgresql+psycopg2://`` without the driver, and
    SQLAlchemy 2's multi-host spelling (``?host=h1:p1&host=h2:p2``) as libpq's
    (``?host=h1,h2&port=p1,p2``)."""
    uri = _SQLALCHEMY_SCHEME.sub(r"\1://", uri.strip(), count=1)
    if "://" not in uri or "?" not in uri:
        return uri
    head, _, query = uri.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    hosts = [value for key, value in pairs if key == "host"]
    if len(hosts) < 2 and not any(_host_port(h)[1] for h in hosts):
        return uri
    split = [_host_port(h) for h in hosts]
    rest = [(k, v) for k, v in pairs if k != "host"]
    merged = [("host", ",".join(h for h, _ in split))]
    if any(p for _, p in split):
        merged.append(("port", ",".join(p for _, p in split)))
    return head + "?" + urlencode(merged + rest, quote_via=quote, safe=",/")


def _host_port(token: str) -> tuple[str, str]:
    """``h:p`` as SQLAlchemy 2 spells one host of many (a bracketed IPv6 address kept whole)."""
    if token.startswith("[") and "]" in token:
        address, _, rest = token[1:].partition("]")
        return address, rest.removeprefix(":")
    if token.count(":") == 1 and not token.startswith("/"):
        host, _, port = token.partition(":")
        return host, port
    return token, ""


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
    # A host of a multi-host URI without its port has an empty one (the default).
    if port is not None and not all(p.isdigit() or not p for p in port.split(",")):
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
    netloc = _netloc(str(host or ""), str(port or ""))
    if netloc is None:
        if host:
            params["host"] = host
        if port:
            params["port"] = port
        netloc = ""
    # quote, not quote_plus: libpq decodes %20 but takes "+" literally.
    query = ("?" + urlencode(params, quote_via=quote)) if params else ""
    return f"postgresql://{auth}{netloc}/{quote(str(dbname or ''), safe='')}{query}"


def _netloc(host: str, port: str) -> str | None:
    """``h1:p1,h2:p2`` (libpq's multi-host form) for TCP hosts; None when a host is a socket
    directory or the ports do not pair with the hosts (then both go in the query, as given)."""
    if not host:
        return "" if not port else None
    hosts = host.split(",")
    ports = port.split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)  # libpq: one port is every host's
    if len(ports) != len(hosts) or any(not h or h.startswith("/") for h in hosts):
        return None
    spelled = [f"[{h}]" if ":" in h else h for h in hosts]
    return ",".join(h + (f":{p}" if p else "") for h, p in zip(spelled, ports, strict=True))


def hosts_of(uri: str) -> list[tuple[str, str]]:
    """The (host, port) pairs a URI names, in libpq's order (port '' = the default)."""
    params = parse_uri(uri)
    hosts = (params.get("host") or params.get("hostaddr") or "localhost").split(",")
    ports = (params.get("port") or "").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    ports = (ports + [""] * len(hosts))[: len(hosts)]
    return list(zip(hosts, ports, strict=True))


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


def describe(uri: str) -> str:
    """``role@host:port/db`` (``role@h1:p1,h2:p2/db`` for several hosts): how messages name a
    connection."""
    params = parse_uri(uri)
    servers = ",".join(f"{h}:{p or '5432'}" for h, p in hosts_of(uri))
    return f"{params.get('user', '?')}@{servers}/{params.get('dbname', '?')}"


def connect(
    uri: str, *, wait: float = 0.0, autocommit: bool = True, writes: bool = False
) -> Connection:
    """Connect, retrying while the server starts (up to ``wait`` seconds).

    A URI that names no ``target_session_attrs`` asks libpq for a primary (of several hosts, the
    one that is not in recovery). ``writes``: a primary or nothing, whatever the URI asks
    (NotPrimary, exit 4, naming the standby's host and port). Raises ConnectionFailed with one
    line naming the role and server.
    """
    psycopg2 = _driver()
    deadline = time.monotonic() + wait
    delay = 0.05
    target = session_target(uri)
    while True:
        try:
            conn = _open(psycopg2, uri, max(1, int(wait) or 5), target)
            conn.autocommit = autocommit
        except psycopg2.OperationalError as error:
            message = scrub(libpq_message(error, every_host=True), uri)
            transient = any(t in message.lower() for t in _TRANSIENT)
            if not transient or time.monotonic() + delay > deadline:
                raise _connection_error(uri, message) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
            continue
        if in_recovery(conn):
            if writes:
                host, port = conn.info.host, conn.info.port
                conn.close()
                raise NotPrimary(
                    f"{host}:{port} is a standby (in recovery): writes need the primary "
                    f"({describe(uri)})"
                )
            _tell_standby_read(conn)
        return conn


def _open(psycopg2: Any, uri: str, timeout: int, target: dict[str, str]) -> Connection:
    """libpq's connection for ``uri``; for several hosts, when libpq stopped at one that answered
    with an error (a standby that has not replayed the database yet: libpq tries no further
    host after a server's FATAL), each host in turn, the first that takes the session wins."""
    try:
        return psycopg2.connect(libpq_form(uri), connect_timeout=timeout, **target)
    except psycopg2.OperationalError as error:
        params = parse_uri(uri)
        servers = hosts_of(uri)
        # Only a server's own refusal stops libpq early; unreachable hosts it has tried already.
        if len(servers) < 2 or "hostaddr" in params or "FATAL" not in str(error):
            raise
    said = []
    for host, port in servers:
        params.update(host=host, port=port)
        try:
            return psycopg2.connect(build_uri(params), connect_timeout=timeout, **target)
        except psycopg2.OperationalError as error:
            reason = libpq_message(error).split(" failed: ")[-1].removeprefix("FATAL:").strip()
            said.append(f"{host}:{port or '5432'}: {reason}")
    raise psycopg2.OperationalError("; ".join(said))


def reached_first(uri: str, conn: Connection) -> str:
    """``uri`` with the host ``conn`` reached (the primary, for a writer) first among its hosts.

    The connections a run opens after its first one (the migration session, the engine a stock
    env.py builds from ``ALEMBIC_DB_URI``, verify's throwaway databases) then go straight to the
    server the run checked, instead of stopping at a standby that has not replayed a new
    database yet; the other hosts stay, in their order.
    """
    servers = hosts_of(uri)
    if len(servers) < 2:
        return uri
    reached = (str(conn.info.host), str(conn.info.port))
    first = [s for s in servers if (s[0], s[1] or "5432") == reached]
    if not first:
        return uri
    ordered = first[:1] + [s for s in servers if s != first[0]]
    params = parse_uri(uri)
    params["host"] = ",".join(h for h, _ in ordered)
    params["port"] = ",".join(p for _, p in ordered) if any(p for _, p in ordered) else ""
    return build_uri(params)


_TOLD: set[tuple[str, str]] = set()


def _tell_standby_read(conn: Connection) -> None:
    """A read that reached a standby says so on the console, once per server, with its lag."""
    from manage_db.replication.dao import server_role
    from manage_db.replication.notifier import reader_notice

    server = (str(conn.info.host), str(conn.info.port))
    if server not in _TOLD:
        _TOLD.add(server)
        logger.warning("%s", reader_notice(server_role(conn)))
        if not conn.autocommit:
            conn.rollback()


def session_target(uri: str) -> dict[str, str]:
    """``target_session_attrs=primary`` when ``uri`` names none (libpq 14+; older: read-write)."""
    if "target_session_attrs" in parse_uri(uri):
        return {}
    libpq = _driver().extensions.libpq_version()
    return {"target_session_attrs": "primary" if libpq >= 140000 else "read-write"}


def asking_for_primary(uri: str) -> str:
    """``uri`` with the ``target_session_attrs`` a connection of ours gets when it names none:
    for connections made without ``connect`` (the server probe, the canceller)."""
    target = session_target(uri)
    if not target:
        return uri
    params = parse_uri(uri)
    params.update(target)
    return build_uri(params)


def in_recovery(conn: Connection) -> bool:
    """Is the server a standby? Read from the connection's reported ``in_hot_standby`` (PostgreSQL
    14+, no round trip), else asked."""
    reported = conn.info.parameter_status("in_hot_standby")
    if reported is not None:
        return reported == "on"
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        row = cursor.fetchone()
    if not conn.autocommit:
        conn.rollback()
    return bool(row and row[0])


def _connection_error(uri: str, message: str) -> ConnectionFailed:
    if "hot standby mode" in message or "read-only" in message:
        return NotPrimary(f"no primary at {describe(uri)}: {message}")
    return ConnectionFailed(f"cannot connect to {describe(uri)}: {message}")


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


def libpq_message(error: BaseException, *, every_host: bool = False) -> str:
    """The first line of a driver error that says what happened (not DETAIL or HINT), without
    libpq's ``FATAL:``; the error's type when it says nothing. ``every_host``: libpq's line for
    each host of a multi-host URI, joined with "; "."""
    text = str(error).strip()
    said: list[str] = []
    for line in text.splitlines():
        line = line.strip().removeprefix("FATAL:").strip()
        if line and not line.startswith(("DETAIL", "HINT")):
            if not every_host:
                return line
            # One line per host tried (libpq's own), without their hints.
            if not said or line.startswith("connection to server"):
                said.append(line)
    return "; ".join(said) or type(error).__name__


def rendered(cursor: Any, statement: Any, parameters: Any) -> str:
    """``statement`` with ``parameters`` interpolated by psycopg2, as ``execute`` would send it."""
    from psycopg2.extensions import encodings

    codec = encodings.get(cursor.connection.encoding, "utf-8")
    return str(cursor.mogrify(statement, parameters).decode(codec))
