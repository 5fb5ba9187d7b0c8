"""Fixtures for the platform tree's tests: a throwaway database owned by a throwaway role.

Each test gets a new role and a new database it owns, with the extensions the platform
expects created by the superuser, as provisioning does. The migrations then run
connected as that role, never as the superuser. Both are dropped at teardown, even when
the test fails, because CI runs on the same server afterwards.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import psycopg2
import pytest
from alembic.config import Config

from manage_db.dao import throwaway
from pgtest import REPO, admin_connection, with_db

EXTENSIONS = ("uuid-ossp", "unaccent", "pgcrypto", "hstore")


@dataclass(frozen=True)
class PlatformDatabase:
    """A throwaway database and the role that owns it."""

    name: str
    owner: str
    admin_uri: str  # the superuser's, on this database

    @property
    def owner_uri(self) -> str:
        return with_db(self.admin_uri, self.name, self.owner)

    def connect_as_owner(self):
        """A psycopg2 connection as the owner role; the caller closes it."""
        return psycopg2.connect(self.owner_uri)

    def connect_as_superuser(self):
        """A psycopg2 connection as the superuser; the caller closes it."""
        return psycopg2.connect(self.admin_uri)

    def schema_dump(self) -> str:
        """Full `pg_dump -s` of the database, owners and privileges included."""
        result = subprocess.run(
            # A fixed key: otherwise pg_dump writes a random one into every dump.
            ["pg_dump", "--schema-only", "--restrict-key=platformtree", self.admin_uri],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout


@pytest.fixture
def platform_db(throwaway_role, throwaway_db) -> PlatformDatabase:
    owner = throwaway_role("test_platform")
    admin_uri = throwaway_db(owner, scratch=True)
    with admin_connection(admin_uri) as admin:
        throwaway.create_extensions(admin, EXTENSIONS)
    return PlatformDatabase(psycopg2.extensions.parse_dsn(admin_uri)["dbname"], owner, admin_uri)


@pytest.fixture
def alembic_config(platform_db: PlatformDatabase, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The platform tree's alembic Config, pointed at the throwaway database as its owner."""
    # alembic.ini's prepend_sys_path is relative to the working directory.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ALEMBIC_DB_URI", platform_db.owner_uri)
    return Config(str(REPO / "alembic.ini"))
