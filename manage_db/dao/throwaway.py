"""Throwaway databases on a PostgreSQL server, for verify and its pytest plugin.

Databases with a unique name, owned by the given role (or by a throwaway role with a unique
name), dropped with that role at the end, also on error or Ctrl-C (``DROP DATABASE … WITH
(FORCE)``); ``synchronous_commit`` off in them, since nothing in them is worth a WAL flush.
verify makes a second one when it must rebuild its database at a revision.

The statements that make and drop them (``create_role``, ``create_database``, ``drop_database``,
``drop_role``) are also what the test suite and the benchmarks make their throwaway names with.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from manage_db.dao.connection import connect, reached_first
from manage_db.dao.session import search_path, search_path_option


@dataclass
class ThrowawayDatabase:
    """A throwaway database (``name``): URIs to reach it as the superuser and as ``owner``, the
    migrating role."""

    name: str
    admin_uri: str
    owner_uri: str
    owner: str

    # The names the pytest plugin's fixture gave them first (daemon test suites read them).
    @property
    def database(self) -> str:
        return _renamed("database", "name", self.name)

    @property
    def admin_dsn(self) -> str:
        return _renamed("admin_dsn", "admin_uri", self.admin_uri)

    @property
    def owner_dsn(self) -> str:
        return _renamed("owner_dsn", "owner_uri", self.owner_uri)


def _renamed(old: str, new: str, value: str) -> str:
    import warnings

    warnings.warn(f"ThrowawayDatabase.{old} is now .{new}", DeprecationWarning, stacklevel=3)
    return value


class ThrowawayServer:
    """Throwaway databases on one server, all owned by one role; dropped with it on ``close``.

    ``owner`` is used when it exists, so migrations that name it (default privileges,
    policies) behave as in production; otherwise a role with a unique name is created rather
    than the real one, so nothing is left behind on a shared server.  Each database gets
    ``schema`` owned by that role and ``extensions`` made as superuser; the owner's
    connections run with ``search_path`` set to ``schema`` alone, as ``upgrade`` connects.
    """

    def __init__(
        self,
        admin_uri: str,
        *,
        owner: str | None = None,
        owner_password: str | None = None,
        schema: str | None = None,
        extensions: Sequence[str] = (),
    ) -> None:

        self._admin_uri = admin_uri
        self._schema = schema
        self._extensions = tuple(extensions)
        self._suffix = secrets.token_hex(5)
        self._databases: list[str] = []
        self._made = 0
        self._created_role: str | None = None
        self._admin = connect(admin_uri, writes=True)
        # The throwaway databases' connections go to the primary just checked, then the others.
        self._admin_uri = admin_uri = reached_first(admin_uri, self._admin)
        self._password = owner_password
        try:
            with self._admin.cursor() as cursor:
                if owner is not None:
                    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,))
                    if cursor.fetchone() is None:
                        owner = None
                if owner is None:
                    owner = self._created_role = f"manage_db_verify_{self._suffix}"
                    self._password = secrets.token_urlsafe(16)
                    create_role(self._admin, owner, self._password)
        except BaseException:
            self._admin.close()
            raise
        self.owner: str = owner

    def new_database(self) -> ThrowawayDatabase:
        """A new empty database owned by the role, with the schema and extensions."""

        return self._make(self._admin, self._next_name())

    def new_databases(self, count: int) -> list[ThrowawayDatabase]:
        """``count`` new databases as ``new_database`` makes them, made at the same time, each
        on a connection of its own (the server's work on one does not wait for the other's)."""
        from concurrent.futures import ThreadPoolExecutor

        names = [self._next_name() for _ in range(count)]

        def make(name: str) -> ThrowawayDatabase:
            if name == names[0]:
                return self._make(self._admin, name)
            connection = connect(self._admin_uri, writes=True)
            try:
                return self._make(connection, name)
            finally:
                connection.close()

        with ThreadPoolExecutor(max(count - 1, 1)) as pool:
            others = [pool.submit(make, name) for name in names[1:]]
            made = [make(names[0])] if names else []
            return made + [future.result() for future in others]

    def _next_name(self) -> str:
        database = f"manage_db_verify_{self._suffix}"
        if self._made:  # a counter: a name stays unique when an earlier database was dropped
            database += f"_{self._made}"
        self._made += 1
        self._databases.append(database)
        return database

    def _make(self, connection: Any, database: str) -> ThrowawayDatabase:
        create_database(connection, database, self.owner, scratch=True)
        admin_uri = with_params(self._admin_uri, dbname=database)
        owner_options: dict[str, str] = {"dbname": database, "user": self.owner}
        if self._password:
            owner_options["password"] = self._password
        if self._schema:
            schemas = search_path(self._schema, self._extensions)
            owner_options["options"] = search_path_option(*schemas)
        _prepare_database(admin_uri, self.owner, self._schema, self._extensions)
        return ThrowawayDatabase(
            database, admin_uri, with_params(self._admin_uri, **owner_options), self.owner
        )

    def drop_database(self, database: ThrowawayDatabase) -> None:
        """Drop one database made by ``new_database`` (its connections ended)."""

        drop_database(self._admin, database.name)
        if database.name in self._databases:  # dropping twice is harmless
            self._databases.remove(database.name)

    def close(self, *, wait: bool = True) -> None:
        """Drop every database left and the throwaway role.

        ``wait=False``: when no role was made here, the drops are sent and not waited for
        (``drop_database_unwaited``): a DROP DATABASE waits for a checkpoint of the whole server,
        seconds on a busy one, and nothing the caller reports depends on it.
        """

        try:
            if not wait and self._created_role is None:
                for database in self._databases:
                    try:
                        drop_database_unwaited(self._admin_uri, database)
                    except Exception:  # not sent: drop it the usual way
                        drop_database(self._admin, database)
            else:
                self._drop_all()
            self._databases.clear()
            if self._created_role is not None:
                drop_role(self._admin, self._created_role)
        finally:
            self._admin.close()

    def _drop_all(self) -> None:
        """Every database left, dropped at once when there are several: each DROP DATABASE waits
        for a checkpoint, and drops waiting together share one."""
        if len(self._databases) < 2:
            for database in self._databases:
                drop_database(self._admin, database)
            return
        from concurrent.futures import ThreadPoolExecutor

        def drop(database: str) -> None:
            connection = connect(self._admin_uri)
            try:
                drop_database(connection, database)
            finally:
                connection.close()

        with ThreadPoolExecutor(len(self._databases)) as pool:
            for future in [pool.submit(drop, name) for name in self._databases]:
                future.result()

    def __enter__(self) -> ThrowawayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def throwaway_database(
    admin_uri: str,
    *,
    owner: str | None = None,
    owner_password: str | None = None,
    schema: str | None = None,
    extensions: Sequence[str] = (),
) -> Iterator[ThrowawayDatabase]:
    """One database of a ThrowawayServer (see there); dropped with its role after."""
    with ThrowawayServer(
        admin_uri,
        owner=owner,
        owner_password=owner_password,
        schema=schema,
        extensions=extensions,
    ) as server:
        yield server.new_database()


def _prepare_database(
    admin_uri: str, owner: str, schema: str | None, extensions: Sequence[str]
) -> None:
    """The component's schema (owned by the role) and extensions (as superuser)."""
    if not schema and not extensions:
        return  # no connection to the new database for nothing
    from psycopg2 import sql

    connection = connect(admin_uri)
    try:
        with connection.cursor() as cursor:
            if schema:
                cursor.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                        sql.Identifier(schema), sql.Identifier(owner)
                    )
                )
        create_extensions(connection, extensions)
    finally:
        connection.close()


def unique_name(stem: str) -> str:
    """``stem`` and ten random hex digits: a name no other run on a shared server will use."""
    return f"{stem}_{secrets.token_hex(5)}"


def create_role(connection: Any, name: str, password: str | None = None) -> None:
    """A login role (with ``password``), on a superuser autocommit connection."""
    from psycopg2 import sql

    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
    if password is not None:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    _execute(connection, statement)


def create_database(
    connection: Any, name: str, owner: str | None = None, *, scratch: bool = False
) -> None:
    """A database owned by ``owner`` (else by the connected role).

    ``scratch``: UTF8 from template0 and ``synchronous_commit`` off, for data nobody keeps.
    """
    from psycopg2 import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if owner is not None:
        statement += sql.SQL(" WITH OWNER {}").format(sql.Identifier(owner))
    if scratch:
        statement += sql.SQL(" ENCODING 'UTF8' TEMPLATE template0")
    _execute(connection, statement)
    if scratch:
        # Throwaway data: durability is not worth a WAL flush per migration.
        _execute(
            connection,
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name)),
        )


def create_extensions(connection: Any, extensions: Sequence[str]) -> None:
    """These extensions in the connected database, as its superuser connection makes them."""
    from psycopg2 import sql

    for extension in extensions:
        _execute(
            connection,
            sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)),
        )


def drop_database(connection: Any, name: str) -> None:
    """Drop database ``name`` if it exists, ending its sessions first."""
    from psycopg2 import sql

    _execute(
        connection,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
    )


def drop_database_unwaited(admin_uri: str, name: str) -> None:
    """Send ``DROP DATABASE name WITH (FORCE)`` on a connection of its own and close it once the
    statement is sent, without its answer.

    The server runs a statement to its end before it reads the client's next message, so the
    drop (and the checkpoint it waits for) completes after the client has gone;
    ``client_connection_check_interval`` is 0 on that connection so the server never cancels it
    for the closed socket. Only a server stopped meanwhile leaves the database behind.
    """
    import select

    import psycopg2
    from psycopg2 import extensions, sql

    from manage_db.dao.connection import libpq_form

    connection = psycopg2.connect(
        libpq_form(admin_uri), async_=True, options="-c client_connection_check_interval=0"
    )
    try:
        _poll_until(connection, extensions.POLL_OK, select)
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        connection.cursor().execute(statement)
        # Sent once the connection no longer asks to write; its answer is never read.
        _poll_until(connection, extensions.POLL_READ, select)
    finally:
        connection.close()


def _poll_until(connection: Any, wanted: int, select: Any, timeout: float = 10.0) -> None:
    """Drive an asynchronous psycopg2 connection until ``poll()`` says ``wanted`` (or done)."""
    from psycopg2 import extensions

    while True:
        state = connection.poll()
        if state in (wanted, extensions.POLL_OK):
            return
        if state == extensions.POLL_WRITE:
            ready = select.select([], [connection.fileno()], [], timeout)[1]
        else:
            ready = select.select([connection.fileno()], [], [], timeout)[0]
        if not ready:
            raise TimeoutError("the server did not answer within 10 s")


def drop_role(connection: Any, name: str) -> None:
    """Drop role ``name`` if it exists (the databases it owns dropped before)."""
    from psycopg2 import sql

    _execute(connection, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _execute(connection: Any, statement: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def with_params(uri: str, **params: str) -> str:
    """``uri`` with these libpq parameters set (libpq's keyword form)."""
    from psycopg2.extensions import make_dsn

    return str(make_dsn(uri, **params))


def run_sql(uri: str, text: str) -> None:
    """Run ``text`` (one or more statements) on its own autocommit connection."""
    connection = connect(uri)
    try:
        with connection.cursor() as cursor:
            cursor.execute(text)
    finally:
        connection.close()
