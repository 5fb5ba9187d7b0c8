"""``wazo-manage-db sandbox``: init, upgrade and status on a throwaway server, then nothing left."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from manage_db.dao.cluster import accepts_connections, free_port
from pgtest import REPO

FIXTURES = Path(__file__).resolve().parent / "fixtures"

KEPT_URI = re.compile(r"^Sandbox server kept running: (\S+)$", re.MULTILINE)
STOP_COMMAND = re.compile(r"^Stop it and remove its files: (.+)$", re.MULTILINE)


def _unreachable_db_uri(role: str, database: str) -> str:
    """A configured server that does not exist: the sandbox must never need it."""
    return f"postgresql://{role}:secret@127.0.0.1:{free_port()}/{database}"


def _platform_head() -> str:
    (head,) = ScriptDirectory(str(REPO / "alembic")).get_heads()
    return head


def _probe_config(tree: str) -> dict:
    return {
        "db_uri": _unreachable_db_uri("probe", "probe"),
        "plugins": False,
        "components": {
            "asterisk": {"enabled": False},
            "probe": {
                "script_location": str(FIXTURES / tree),
                "version_table": f"sandbox_{tree.split('_')[0]}_alembic_version",
            },
        },
    }


def _leftover_clusters(scratch: Path) -> list[str]:
    return [p.name for p in (scratch / "tmp").iterdir() if p.name.startswith("wazo-manage-db")]


def test_sandbox_brings_the_platform_component_to_head(run_sandbox, write_config, scratch):
    config = write_config(
        {"db_uri": _unreachable_db_uri("asterisk", "asterisk")}, directory=scratch
    )

    done = run_sandbox(config)

    assert done.exit_code == 0, done.stdout + done.stderr
    assert f"asterisk: at head at {_platform_head()}" in done.stdout
    assert _leftover_clusters(scratch) == []


@pytest.mark.parametrize("as_user", [None, "nobody"], ids=["caller", "unprivileged-user"])
def test_sandbox_runs_a_configured_component(
    run_sandbox, write_config, scratch, usable_by, as_user
):
    if as_user is not None and os.geteuid() != 0:
        pytest.skip("running the command as another user needs root")
    if as_user is not None and not usable_by(as_user):
        pytest.skip(f"{as_user} cannot run this interpreter (installed in a closed directory)")
    config = write_config(_probe_config("probe_tree"), directory=scratch)

    done = run_sandbox(config, as_user=as_user)

    assert done.exit_code == 0, done.stdout + done.stderr
    assert "probe: at head at 2b3c4d5e6f7a" in done.stdout
    assert "asterisk" not in done.stdout
    assert _leftover_clusters(scratch) == []


def test_sandbox_with_a_failing_migration_exits_behind_and_leaves_no_server(
    run_sandbox, write_config, scratch
):
    config = write_config(_probe_config("broken_tree"), directory=scratch)

    done = run_sandbox(config)

    assert done.exit_code == 3, done.stdout + done.stderr
    assert "no_such_table" in done.stdout + done.stderr
    assert "probe: behind at 1a2b3c4d5e6f (head 3c4d5e6f7a8b)" in done.stdout
    assert _leftover_clusters(scratch) == []


def test_sandbox_keep_leaves_a_server_at_the_printed_uri(run_sandbox, write_config, scratch):
    config = write_config(
        {"db_uri": _unreachable_db_uri("asterisk", "asterisk")}, directory=scratch
    )

    done = run_sandbox(config, "--keep")

    stop = STOP_COMMAND.search(done.stdout)
    try:
        assert done.exit_code == 0, done.stdout + done.stderr
        uri = KEPT_URI.search(done.stdout).group(1)
        conn = psycopg2.connect(uri.rsplit("/", 1)[0] + "/asterisk")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT version_num FROM alembic_version")
                assert cursor.fetchall() == [(_platform_head(),)]
        finally:
            conn.close()
    finally:
        if stop is not None:
            stopped = subprocess.run(
                stop.group(1), shell=True, capture_output=True, text=True, check=False
            )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not accepts_connections(uri)
    assert _leftover_clusters(scratch) == []
