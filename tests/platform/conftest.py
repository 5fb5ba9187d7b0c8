"""Fixtures for the platform tree's tests: a throwaway database owned by a throwaway role.

Each test gets a new role and a new database it owns, with the extensions the platform
expects created by the superuser, as provisioning does. The migrations then run
connected as that role, never as the superuser. Both are dropped at teardown, even when
the test fails, because CI runs on the same server afterwards.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from alembic.config import Config
from psycopg2 import sql

REPO = Path(__file__).resolve().parents[2]
PG_HOST = "127.0.0.1"
PG_PORT = "5432"
PG_SUPERUSER = "postgres"
EXTENSIONS = ("uuid-ossp", "unaccent", "pgcrypto", "hstore")


@dataclass(frozen=True)
class PlatformDatabase:
    """A throwaway database and the role that owns it."""

    name: str
    owner: str

    @property
    def owner_uri(self) -> str:
        return f"postgresql://{self.owner}@{PG_HOST}:{PG_PORT}/{self.name}"

    def connect_as_owner(self):
        """A psycopg2 connection as the owner role; the caller closes it."""
        return psycopg2.connect(self.owner_uri)

    def connect_as_superuser(self):
        """A psycopg2 connection as the superuser; the caller closes it."""
        return psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_SUPERUSER, dbname=self.name)

    def schema_dump(self) -> str:
        """Full `pg_dump -s` of the database, owners and privileges included."""
        result = subprocess.run(
            [
                "pg_dump",
                "--schema-only",
                "--host",
                PG_HOST,
                "--port",
                PG_PORT,
                "--username",
                PG_SUPERUSER,
                # A fixed key: otherwise pg_dump writes a random one into every dump.
                "--restrict-key=platformtree",
                self.name,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout


def _admin_connection(dbname: str = "postgres"):
    connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_SUPERUSER, dbname=dbname)
    connection.autocommit = True
    return connection


@pytest.fixture
def platform_db() -> Iterator[PlatformDatabase]:
    suffix = uuid.uuid4().hex[:12]
    database = PlatformDatabase(name=f"test_platform_{suffix}", owner=f"test_platform_{suffix}")
    admin = _admin_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(database.owner)))
            cursor.execute(
                sql.SQL("CREATE DATABASE {} WITH OWNER {} ENCODING 'UTF8'").format(
                    sql.Identifier(database.name), sql.Identifier(database.owner)
                )
            )
        extension_admin = _admin_connection(database.name)
        try:
            with extension_admin.cursor() as cursor:
                for extension in EXTENSIONS:
                    cursor.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                            sql.Identifier(extension)
                        )
                    )
        finally:
            extension_admin.close()
        yield database
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database.name)
                )
            )
            cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(database.owner)))
        admin.close()


@pytest.fixture
def alembic_config(platform_db: PlatformDatabase, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The platform tree's alembic Config, pointed at the throwaway database as its owner."""
    # alembic.ini's prepend_sys_path is relative to the working directory.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ALEMBIC_DB_URI", platform_db.owner_uri)
    return Config(str(REPO / "alembic.ini"))
