"""Shared fixtures: the PostgreSQL server the integration tests use, throwaway databases and roles.

The server is the one at PGHOST/PGPORT (default 127.0.0.1:5432, superuser postgres). When none
answers, a throwaway cluster is started for the session instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from pgtest import admin_execute, unique, with_db

# Caches the tool keeps per user (revision graphs, lint results) go to a directory of this run.
_CACHE_HOME = tempfile.mkdtemp(prefix="wazo-manage-db-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, True)


def _server_uri() -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    return f"postgresql://{user}@{host}:{port}/postgres"


@pytest.fixture(scope="session")
def pg_admin_uri() -> Iterator[str]:
    """Superuser URI to the database ``postgres`` of the server the tests use."""
    uri = _server_uri()
    try:
        psycopg2.connect(uri, connect_timeout=3).close()
    except psycopg2.OperationalError:
        from manage_db.dao.cluster import start_test_cluster

        with start_test_cluster() as cluster_uri:
            yield cluster_uri
        return
    yield uri


@pytest.fixture
def cleanup(pg_admin_uri: str) -> Iterator[Callable[..., None]]:
    """Register databases and roles to drop at teardown, whether the test passed or not."""
    databases: list[str] = []
    roles: list[str] = []

    def register(*, database: str | None = None, role: str | None = None) -> None:
        if database:
            databases.append(database)
        if role:
            roles.append(role)

    yield register
    for database in reversed(databases):
        admin_execute(
            pg_admin_uri,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)),
        )
    for role in reversed(roles):
        admin_execute(pg_admin_uri, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def throwaway_db(pg_admin_uri: str, cleanup) -> Callable[..., str]:
    """Factory: a new empty database (owned by ``owner`` when given); returns its superuser URI."""

    def make(owner: str | None = None) -> str:
        name = unique("t_db")
        cleanup(database=name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        admin_execute(pg_admin_uri, statement)
        return with_db(pg_admin_uri, name)

    return make


@pytest.fixture
def platform_names(cleanup) -> dict[str, str]:
    """Unique role and database names standing in for the platform's asterisk/asterisk."""
    names = {"role": unique("t_asterisk"), "database": unique("t_asterisk")}
    cleanup(role=names["role"])
    cleanup(database=names["database"])
    return names


class CliResult:
    """What a user sees: exit code, standard output, standard error."""

    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def __repr__(self) -> str:
        return f"<exit {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def _runner():
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML config file (log file in tmp_path unless given); return its path."""
    import yaml

    def write(settings: dict, name: str = "config.yml") -> Path:
        settings = {"log_file": str(tmp_path / "wazo-manage-db.log"), **settings}
        path = tmp_path / name
        path.write_text(yaml.safe_dump(settings), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run the command line in-process (no privilege drop: that is main()'s job)."""
    from manage_db.cli import cli

    def run(*args: str, config: Path | None = None) -> CliResult:
        argv = (["-c", str(config)] if config else []) + list(args)
        result = _runner().invoke(cli, argv, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def platform_config(pg_admin_uri, platform_names, write_config) -> Path:
    """A config for the platform tree on throwaway names, on the test server."""
    return write_config(
        {
            "db_uri": with_db(
                pg_admin_uri, platform_names["database"], platform_names["role"], "secret"
            ),
            "admin_uri": pg_admin_uri,
            "plugins": False,
        }
    )
