"""The server goes away mid-run: a restart, a freeze (SIGSTOP), on a throwaway cluster."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_harness import figure, finish, running_statement, wait_for

from manage_db.dao.cluster import ThrowawayCluster

FIRST = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE long_sleep (seconds int)")\n'
    'op.execute("INSERT INTO long_sleep VALUES (30)")',
    'op.execute("DROP TABLE long_sleep")',
)
SLEEPING = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    'op.execute("CREATE TABLE two (id int)")\n'
    'op.execute("SELECT pg_sleep(seconds) FROM long_sleep")',
    'op.execute("DROP TABLE two")',
)
SERVER_TIMEOUT = 3


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    with ThrowawayCluster() as server:
        yield server


def pg_ctl(cluster: ThrowawayCluster, *args: str) -> None:
    """Run pg_ctl on the cluster, as the user its server runs as."""
    pg_ctl_path = str(cluster.bindir / "pg_ctl")
    cluster._run([pg_ctl_path, "-D", str(cluster.data_dir), *args], "pg_ctl")


def server_processes(cluster: ThrowawayCluster) -> list[int]:
    """The postmaster and its children (the backends, the background processes)."""
    postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(entry.name))
    return [postmaster, *children]


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a backend that just ended
            os.kill(pid, signum)


def test_server_restart_mid_run_exits_5_and_the_rerun_completes(cluster, make_component):
    component = make_component([FIRST, SLEEPING], server=cluster.admin_uri())
    run = component.start("upgrade")
    wait_for(lambda: running_statement(component, "pg_sleep"), 30, "the sleeping revision")
    pg_ctl(cluster, "-l", str(cluster.log_file), "-m", "fast", "-w", "restart")
    exit_code, out, err = finish(run, timeout=30)

    assert exit_code == 5, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "wazo-manage-db: demo: connection to the server lost"
    ), err
    assert "Traceback" not in out + err
    assert "connection to the server lost" in Path(component.settings_log).read_text()
    assert component.version() == ["a1a1a1a1a1a1"]
    assert component.query("SELECT to_regclass('two')") == [(None,)]

    component.query("UPDATE long_sleep SET seconds = 0")
    rerun = component.run("upgrade")
    assert rerun.returncode == 0, rerun
    assert component.version() == ["b2b2b2b2b2b2"]
    figure("reruns needed after the restart", 1)


def test_frozen_server_ends_the_run_with_exit_4_within_server_timeout(cluster, make_component):
    component = make_component(
        [FIRST, SLEEPING], server=cluster.admin_uri(), server_timeout=SERVER_TIMEOUT
    )
    run = component.start("upgrade")
    wait_for(lambda: running_statement(component, "pg_sleep"), 30, "the sleeping revision")
    frozen = server_processes(cluster)
    signal_all(frozen, signal.SIGSTOP)
    try:
        started = time.monotonic()
        exit_code, out, err = finish(run, timeout=SERVER_TIMEOUT + 20)
        seconds = time.monotonic() - started
    finally:
        signal_all(frozen, signal.SIGCONT)
    figure("seconds from freeze to exit", f"{seconds:.2f}")

    assert exit_code == 4, (out, err)
    assert err.strip().splitlines() == [
        f"wazo-manage-db: demo: the server of {component.describe()} did not answer for "
        f"{SERVER_TIMEOUT} s (server_timeout); the run was stopped, the revisions committed "
        "before stay applied"
    ]
    assert seconds <= SERVER_TIMEOUT + 2  # the last answer came before the freeze; + exit
    wait_for(lambda: not running_statement(component, "pg_sleep"), 10, "the server to drop the run")
    assert component.version() == ["a1a1a1a1a1a1"]


def test_sigterm_on_a_frozen_server_still_ends_the_run_promptly(cluster, make_component):
    component = make_component([FIRST, SLEEPING], server=cluster.admin_uri())  # server_timeout 30
    run = component.start("upgrade")
    wait_for(lambda: running_statement(component, "pg_sleep"), 30, "the sleeping revision")
    frozen = server_processes(cluster)
    signal_all(frozen, signal.SIGSTOP)
    try:
        started = time.monotonic()
        run.send_signal(signal.SIGTERM)
        exit_code, out, err = finish(run, timeout=20)
        seconds = time.monotonic() - started
    finally:
        signal_all(frozen, signal.SIGCONT)
    figure("seconds from SIGTERM to exit, server frozen", f"{seconds:.2f}")

    assert exit_code == 143, (out, err)
    assert err.strip().startswith("wazo-manage-db: demo: interrupted by SIGTERM")
    assert len(err.strip().splitlines()) == 1
    assert seconds <= 5
    wait_for(lambda: not running_statement(component, "pg_sleep"), 10, "the server to drop the run")
    assert component.version() == ["a1a1a1a1a1a1"]
