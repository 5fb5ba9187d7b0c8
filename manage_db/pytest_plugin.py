"""pytest plugin: a daemon repository gets verify's checks as tests.

Harmless when loaded by any other test suite: it adds tests only when the ini option
``manage_db_script_location`` (or ``--manage-db-script-location``) names an alembic directory.
Then one test, ``manage_db_verify``, round-trips every revision on a throwaway database of the
server at ``manage_db_admin_uri`` (default: postgres@127.0.0.1:5432) and fails with the report.

Fixtures for hand-written tests: ``manage_db_verifier`` (a function running verify with the
configured tree) and ``manage_db_throwaway_database`` (a Sandbox: admin and owner DSNs of a
fresh database, dropped after the test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's ini options and command-line flags."""
    group = parser.getgroup("wazo-manage-db")
    group.addoption("--manage-db-script-location", help="alembic directory to verify")
    group.addoption("--manage-db-admin-uri", help="superuser URI of the server to verify on")
    parser.addini("manage_db_script_location", "alembic directory to verify (enables the test)")
    parser.addini(
        "manage_db_version_table", "version table of that tree", default="alembic_version"
    )
    parser.addini("manage_db_admin_uri", "superuser URI of the server", default=DEFAULT_ADMIN_URI)
    parser.addini("manage_db_extensions", "extensions to create first", type="args", default=[])


def _setting(config: pytest.Config, name: str) -> Any:
    flag = config.getoption(f"--{name.replace('_', '-')}", default=None)
    return flag if flag else config.getini(name)


def _script_location(config: pytest.Config) -> Path | None:
    value = _setting(config, "manage_db_script_location")
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(config.rootpath) / path


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Add the verify test once, next to the ini file, when the plugin is enabled."""
    config = parent.config
    if _script_location(config) is None or getattr(config, "_manage_db_collected", False):
        return None
    config._manage_db_collected = True  # type: ignore[attr-defined]
    return _VerifyFile.from_parent(parent, path=file_path)


class _VerifyFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield _VerifyItem.from_parent(self, name="manage_db_verify")


class _VerifyItem(pytest.Item):
    def runtest(self) -> None:
        from manage_db.commands.verify import render_reports

        report = _verifier(self.config)()
        if not report.clean:
            raise _VerifyFailed(render_reports([report], as_json=False))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, _VerifyFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "wazo-manage-db verify"


class _VerifyFailed(Exception):
    pass


def _target(config: pytest.Config) -> Any:
    from manage_db.services.verify import VerifyTarget

    location = _script_location(config)
    if location is None:
        pytest.skip("manage_db_script_location is not set")
    return VerifyTarget(
        name=location.name,
        script_location=location,
        version_table=config.getini("manage_db_version_table"),
        extensions=tuple(config.getini("manage_db_extensions")),
    )


def _verifier(config: pytest.Config) -> Callable[..., Any]:
    from manage_db.services.verify import VerifyOptions, verify_tree

    def run(**options: Any) -> Any:
        return verify_tree(
            _target(config), _setting(config, "manage_db_admin_uri"), VerifyOptions(**options)
        )

    return run


@pytest.fixture
def manage_db_verifier(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``run(reference=..., seeds=..., check_rows=...) -> VerifyReport`` for the configured tree."""
    return _verifier(request.config)


@pytest.fixture
def manage_db_throwaway_database(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh database owned by a throwaway role (Sandbox), dropped after the test."""
    from manage_db.services.verify import throwaway_database

    with throwaway_database(
        _setting(request.config, "manage_db_admin_uri"), _target(request.config)
    ) as sandbox:
        yield sandbox
