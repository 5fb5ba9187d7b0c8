"""A real primary and its streaming standby (throwaway clusters, one pair per test module), and
a component on them whose URIs name both servers, the standby first (see replication_pair)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from replication_pair import (
    FIGURES,
    REVISIONS,
    VERSION_TABLE,
    Pair,
    PairComponent,
    start_pair,
    stop_pair,
    write_tree,
)

from pgtest import unique


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    made = start_pair()
    try:
        yield made
    finally:
        stop_pair(made)


@pytest.fixture
def make_component(tmp_path: Path, write_config) -> Callable[..., PairComponent]:
    """Factory: a component ``demo`` on ``pair`` (its URIs: the standby first, then the primary;
    ``order`` changes that), with these revisions and settings."""

    def make(
        pair: Pair,
        revisions: list[tuple[str, str | None, str, str]] = REVISIONS,
        *,
        order: tuple[str, ...] = ("standby", "primary"),
        own: dict | None = None,
        **settings: object,
    ) -> PairComponent:
        role, database = unique("t_ha"), unique("t_ha")
        location = write_tree(tmp_path / database, revisions)
        demo = {
            "script_location": str(location),
            "database": database,
            "owner": role,
            "version_table": VERSION_TABLE,
            **(own or {}),
        }
        config = write_config(
            {
                "db_uri": pair.uri(database, role, *order),
                "admin_uri": pair.uri("postgres", "postgres", *order),
                "plugins": False,
                "server_wait": 0,
                "components": {"asterisk": {"enabled": False}, "demo": demo},
                **settings,
            },
            name=f"config_{database}.yml",
        )
        return PairComponent(config, role, database, location)

    return make


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("replication figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
