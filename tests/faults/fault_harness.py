"""The fault suite's harness: a small component on throwaway names, and the tool as a process.

Every run of the tool is a real process (signals, kill -9 and concurrency need one), started with
a hard timeout so that no scenario can hang the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from pgtest import REPO, run_tool, start_tool, write_revision

FIXTURES = REPO / "tests" / "fixtures" / "faults"
VERSION_TABLE = "alembic_version_demo"  # as FIXTURES / "env.py" names it
# No scenario's single run of the tool may take longer than this.
RUN_TIMEOUT = 60


@dataclass
class FaultComponent:
    """A component named ``demo`` with its own role, database and tree, and how to run the tool."""

    config: Path
    owner_uri: str
    location: Path
    settings: dict = field(default_factory=dict)

    def start(self, *args: str) -> subprocess.Popen:
        """The tool in the background, for a scenario that signals or races it."""
        return start_tool(*args, config=self.config)

    def run(self, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        return run_tool(*args, config=self.config, timeout=timeout)

    def query(self, statement: str, *args: object) -> list[tuple]:
        conn = psycopg2.connect(self.owner_uri, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, args or None)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    @property
    def settings_log(self) -> str:
        """The tool's log file."""
        return str(self.config.parent / "wazo-manage-db.log")

    def describe(self) -> str:
        """How the tool names the owner connection: role@host:port/db."""
        from manage_db.dao.connection import describe

        return describe(self.owner_uri)

    def version(self) -> list[str]:
        return [r[0] for r in self.query(f"SELECT version_num FROM {VERSION_TABLE}")]


def write_tree(root: Path, revisions: list[tuple[str, str | None, str, str]]) -> Path:
    """A stock-daemon-style tree (env.py from ALEMBIC_DB_URI) with these revisions:
    (id, down_revision, upgrade body, downgrade body)."""
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    (location / "env.py").write_text((FIXTURES / "env.py").read_text())
    (location / "script.py.mako").write_text((FIXTURES / "script.py.mako").read_text())
    for revision in revisions:
        write_revision(location, *revision)
    return location


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until true; fail the test (naming ``what``) after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def running_statement(component: FaultComponent, fragment: str) -> bool:
    """A backend of the component's database is running a statement containing ``fragment``."""
    rows = component.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND pid <> pg_backend_pid() AND position(%s in query) > 0",
        fragment,
    )
    return rows[0][0] > 0


def finish(process: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a background run; kill it (and fail) past ``timeout``."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the run did not end within {timeout} s:\n{out}\n{err}")
    return process.returncode, out, err


# Figures of the scenarios run, shown at the end of the session (see conftest.py).
FIGURES: list[str] = []


def figure(name: str, value: object) -> None:
    """Record a scenario's figure for the session summary (and print it, for pytest -s)."""
    line = f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}: {name} = {value}"
    FIGURES.append(line)
    print(f"fault figure: {line}")
