"""Fault suite, applied history: an interrupted autocommit_block revision, an edited applied one.

Each scenario runs the tool as an operator would (a subprocess) and prints its figure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from history_trees import HISTORY_TABLE, ONE, THREE, TWO, revision, setup_component

from pgtest import admin_execute, query, run_tool, start_tool, write_revision

# Builds an index outside any transaction, then sleeps while table "hold" has a row: killed there,
# the index exists but the revision never ended.
CONCURRENT = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    """
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS one_id ON one (id)")
        op.execute("SELECT pg_sleep(60) FROM hold")
    """,
    'op.execute("DROP INDEX one_id")',
)


def tool(config, *args, timeout=60):
    done = run_tool(*args, config=config, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def wait_for_sleep(owner, deadline=30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        rows = query(
            owner,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'SELECT pg_sleep(60)%%' AND state = 'active'",
        )
        if rows:
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError("the revision never reached its sleep")


@pytest.mark.parametrize("env", ["stock", "ours"])
def test_interrupted_autocommit_block_revision_is_reported_by_status_and_upgrade(
    tmp_path, write_config, pg_admin_uri, cleanup, env
):
    config, owner, _ = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [ONE, CONCURRENT], env
    )
    assert tool(config, "init")[0] == 0
    assert tool(config, "upgrade", "a1a1a1a1a1a1", "--component", "demo")[0] == 0
    admin_execute(owner, "CREATE TABLE hold (x int)", "INSERT INTO hold VALUES (1)")
    run = start_tool("upgrade", config=config, output=subprocess.DEVNULL)
    sleeper = wait_for_sleep(owner)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    admin_execute(owner, f"SELECT pg_terminate_backend({sleeper})")  # its own session
    assert query(owner, "SELECT to_regclass('one_id')") == [("one_id",)]  # the partial work

    code, out, _ = tool(config, "status")
    assert code == 8, out
    assert "b2b2b2b2b2b2 interrupted (non-transactional" in out
    code, out, _ = tool(config, "log", "--json")
    assert '"outcome": "running"' in out and '"transactional": false' in out

    before = query(owner, f"SELECT * FROM {HISTORY_TABLE} ORDER BY id")
    code, _, err = tool(config, "upgrade")
    assert code == 8
    assert "refusing to run: b2b2b2b2b2b2 interrupted" in err and err.count("\n") == 1
    assert query(owner, f"SELECT * FROM {HISTORY_TABLE} ORDER BY id") == before
    print(
        f"\ninterrupted autocommit_block ({env}): status exit 8, upgrade exit 8, history unchanged"
    )

    # The operator checks the partial work, then accepts the revision and reruns it.
    admin_execute(owner, "DELETE FROM hold")
    assert tool(config, "repair", "b2b2b2b2b2b2", "--component", "demo")[0] == 0
    assert tool(config, "upgrade")[0] == 0
    assert tool(config, "status")[0] == 0
    last = query(
        owner,
        f"SELECT direction, outcome, transactional FROM {HISTORY_TABLE} "
        "WHERE revision = 'b2b2b2b2b2b2' ORDER BY id",
    )
    assert last == [
        ("upgrade", "running", False),
        ("repair", "ok", False),
        ("upgrade", "ok", False),
    ]


def test_edited_applied_revision_is_refused_until_repaired(
    tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner, location = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [ONE, TWO]
    )
    assert tool(config, "init")[0] == 0
    assert tool(config, "upgrade")[0] == 0
    write_revision(location, *revision("a1a1a1a1a1a1", None, "renamed"))
    write_revision(location, *THREE)

    status = tool(config, "status")
    assert status[0] == 8 and "a1a1a1a1a1a1 edited since it was applied" in status[1]
    tables = query(owner, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    refused = tool(config, "upgrade")
    assert refused[0] == 8
    assert query(owner, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == tables
    assert tool(config, "repair", "a1a1a1a1a1a1", "--component", "demo")[0] == 0
    assert tool(config, "upgrade")[0] == 0
    assert query(owner, "SELECT to_regclass('three')") == [("three",)]
    print(
        "\nedited applied revision: status exit 8, upgrade exit 8 (nothing changed), after repair 0"
    )
