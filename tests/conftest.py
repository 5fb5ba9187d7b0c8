"""The fixtures every test directory shares: the server, throwaway names, config files, the CLI.

The server is the one at PGHOST/PGPORT (default 127.0.0.1:5432, superuser postgres). When none
answers, a throwaway cluster is started for the session instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from manage_db.dao import throwaway
from pgtest import CliResult, admin_connection, run_tool, throwaway_names, unique, with_db

# The benchmark scripts (bench/) importable: their tree generators write the tests' trees too.
_BENCH = str(Path(__file__).resolve().parents[1] / "bench")
if _BENCH not in sys.path:
    sys.path.insert(0, _BENCH)

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
    with admin_connection(pg_admin_uri) as admin:
        for database in reversed(databases):
            throwaway.drop_database(admin, database)
        for role in reversed(roles):
            throwaway.drop_role(admin, role)


@pytest.fixture
def throwaway_role(pg_admin_uri: str, cleanup) -> Callable[..., str]:
    """Factory: a new login role (named ``stem`` and random digits); returns its name."""

    def make(stem: str = "t_role") -> str:
        name = unique(stem)
        cleanup(role=name)
        with admin_connection(pg_admin_uri) as admin:
            throwaway.create_role(admin, name)
        return name

    return make


@pytest.fixture
def throwaway_db(pg_admin_uri: str, cleanup) -> Callable[..., str]:
    """Factory: a new empty database (owned by ``owner`` when given); returns its superuser URI.

    ``scratch``: UTF8 and synchronous_commit off (see manage_db.dao.throwaway.create_database).
    """

    def make(owner: str | None = None, *, scratch: bool = False) -> str:
        name = unique("t_db")
        cleanup(database=name)
        with admin_connection(pg_admin_uri) as admin:
            throwaway.create_database(admin, name, owner, scratch=scratch)
        return with_db(pg_admin_uri, name)

    return make


@pytest.fixture
def platform_names(cleanup) -> dict[str, str]:
    """Unique role and database names standing in for the platform's asterisk/asterisk."""
    role, database = throwaway_names(cleanup, "t_asterisk")
    return {"role": role, "database": database}


def _runner():
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML config file in ``directory`` (default tmp_path), readable by any user, the log
    file beside it unless the settings name one; return its path."""
    import yaml

    def write(settings: dict, name: str = "config.yml", directory: Path | None = None) -> Path:
        directory = directory or tmp_path
        settings = {"log_file": str(directory / "wazo-manage-db.log"), **settings}
        path = directory / name
        path.write_text(yaml.safe_dump(settings), encoding="utf-8")
        path.chmod(0o644)
        return path

    return write


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the command line; return what a user sees.

    In-process by default (no privilege drop: that is main()'s job). ``process=True``: in a
    process of its own in tmp_path, as a user runs it; the other keyword arguments (``cwd``,
    ``user``, ``env``, ``stay_root``...) are pgtest.run_tool's.
    """
    from manage_db.cli import cli

    def run(*args: str, config: Path | None = None, process: bool = False, **how: Any) -> CliResult:
        if process:
            done = run_tool(*args, config=config, **{"cwd": tmp_path, **how})
            return CliResult(done.returncode, done.stdout, done.stderr)
        assert not how, f"{sorted(how)} need process=True"
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
