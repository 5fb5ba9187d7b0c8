"""The fault suite's fixture: a small component on throwaway names (see fault_harness)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fault_harness import FIGURES, FaultComponent, write_tree

from pgtest import unique, with_db


@pytest.fixture
def make_component(tmp_path: Path, pg_admin_uri: str, cleanup) -> Callable[..., FaultComponent]:
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
        role, database = unique("t_fault"), unique("t_fault")
        if server is None:
            cleanup(role=role)
            cleanup(database=database)
        location = write_tree(tmp_path / f"tree_{database}", revisions)
        config = tmp_path / f"config_{database}.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "log_file": str(tmp_path / "wazo-manage-db.log"),
                    "db_uri": with_db(admin, database, role),
                    "admin_uri": admin,
                    "plugins": False,
                    "server_wait": 2,
                    "lock_wait": 120,  # 8 runs at once on a loaded machine queue a while
                    "components": {
                        "asterisk": {"enabled": False},
                        "demo": {
                            "script_location": str(location),
                            "database": database,
                            "owner": role,
                            "version_table": "alembic_version_demo",
                            **(own or {}),
                        },
                    },
                    **settings,
                }
            )
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
