"""The fault suite's fixture: a small component on throwaway names (see fault_harness)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fault_harness import FIGURES, VERSION_TABLE, FaultComponent, write_tree

from pgtest import demo_settings, throwaway_names, unique, with_db


@pytest.fixture
def make_component(
    tmp_path: Path, pg_admin_uri: str, cleanup, write_config
) -> Callable[..., FaultComponent]:
    """Factory: a component on ``server`` (default: the test server) with these revisions.

    Keyword arguments are global settings; ``own`` holds the component's own settings.
    """

    def make(
        revisions: list[tuple[str, str | None, str, str]],
        *,
        server: str | None = None,
        init: bool = True,
        own: dict | None = None,
        **settings: object,
    ) -> FaultComponent:
        admin = server or pg_admin_uri
        if server is None:
            role, database = throwaway_names(cleanup, "t_fault")
        else:  # a cluster of the scenario's own, gone with it
            role, database = unique("t_fault"), unique("t_fault")
        location = write_tree(tmp_path / f"tree_{database}", revisions)
        config = write_config(
            {
                **demo_settings(admin, role, database, location, VERSION_TABLE, **(own or {})),
                "server_wait": 2,
                "lock_wait": 120,  # 8 runs at once on a loaded machine queue a while
                **settings,
            },
            name=f"config_{database}.yml",
        )
        component = FaultComponent(config, with_db(admin, database, role), location, settings)
        if init:
            result = component.run("init")
            assert result.returncode == 0, result
        return component

    return make


def pytest_terminal_summary(terminalreporter) -> None:
    """Every scenario's figure, in the CI log."""
    if FIGURES:
        terminalreporter.section("fault suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
