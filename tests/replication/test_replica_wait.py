"""replica_wait: an upgrade returns once the standbys replayed it, or exits 9 naming them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from replication_pair import BOUND, VERSION_TABLE


@pytest.fixture
def pause(pair) -> Iterator[Callable[[], None]]:
    """Call it to have the standby receive WAL but replay none, until the test ends."""
    try:
        yield lambda: pair.replay(paused=True)
    finally:
        pair.replay(paused=False)


def _initialised(pair, make_component, run_cli, **settings):
    component = make_component(pair, **settings)
    assert run_cli("init", config=component.config).exit_code == 0
    pair.wait_caught_up()
    return component


def _version_on(pair, which: str, component) -> list[tuple]:
    return pair.query(which, f"SELECT version_num FROM {VERSION_TABLE}", component.database)


def test_upgrade_returns_once_the_standby_has_replayed_it(pair, make_component, run_cli):
    component = _initialised(pair, make_component, run_cli, replica_wait=BOUND)
    result = run_cli("upgrade", config=component.config)
    assert result.exit_code == 0, result
    # At once, no polling: what the upgrade wrote is readable on the standby.
    assert _version_on(pair, "standby", component) == [("b2b2b2b2b2b2",)]
    assert pair.query("standby", "SELECT count(*) FROM items", component.database) == [(1000,)]


def test_standby_that_does_not_replay_ends_the_run_with_exit_9_naming_it(
    pair, make_component, run_cli, pause
):
    component = _initialised(pair, make_component, run_cli, replica_wait=1.5)
    pause()
    started = time.monotonic()
    result = run_cli("upgrade", config=component.config)
    elapsed = time.monotonic() - started
    assert result.exit_code == 9, result
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "wazo-manage-db: demo: upgraded on the primary, but only 0 of 1 standbys replayed it "
        "within replica_wait 1.5 s: walreceiver (127.0.0.1:"
    ), result
    assert "behind" in lines[-1]
    # Progress while it waited, on stderr.
    assert "demo: 0/1 standbys replayed the upgrade (waiting: walreceiver" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # The primary is upgraded (exit 9 says so); the wait was bounded by replica_wait.
    assert _version_on(pair, "primary", component) == [("b2b2b2b2b2b2",)]
    assert elapsed < 1.5 + BOUND / 3


def test_a_component_s_own_replica_wait_wins_over_the_global_one(
    pair, make_component, run_cli, pause
):
    component = _initialised(
        pair, make_component, run_cli, replica_wait=0, own={"replica_wait": 0.5}
    )
    pause()
    result = run_cli("upgrade", config=component.config)
    assert result.exit_code == 9, result
    assert "within replica_wait 0.5 s" in result.stderr


def test_no_wait_by_default_nor_after_a_run_that_changed_nothing(
    pair, make_component, run_cli, pause
):
    component = _initialised(pair, make_component, run_cli)
    pause()
    assert run_cli("upgrade", config=component.config).exit_code == 0
    component_waiting = make_component(pair, replica_wait=BOUND)
    component_waiting.config.write_text(
        component.config.read_text().replace(
            "server_wait: 0", f"replica_wait: {BOUND}\nserver_wait: 0"
        )
    )
    result = run_cli("upgrade", config=component_waiting.config)
    assert result.exit_code == 0, result
    assert "standbys replayed" not in result.stderr


def test_more_standbys_asked_for_than_stream_is_exit_9(pair, make_component, run_cli):
    component = _initialised(pair, make_component, run_cli, replica_wait=0.3, replica_min=2)
    result = run_cli("upgrade", config=component.config)
    assert result.exit_code == 9, result
    assert "only 1 of 2 standbys replayed it within replica_wait 0.3 s: 1 streaming" in (
        result.stderr
    )


def test_replica_settings_are_checked(pair, make_component, run_cli):
    component = make_component(pair, replica_min=0)
    result = run_cli("status", config=component.config)
    assert result.exit_code == 2, result
    assert "replica_min: must be at least 1" in result.stderr
