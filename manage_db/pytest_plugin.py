"""pytest plugin: a daemon repository gets verify's checks as tests.

Harmless when loaded by any other test suite: it adds tests only when the ini option
``manage_db_script_location`` (or ``--manage-db-script-location``) names an alembic directory.
Then verify round-trips every revision on a throwaway database of the server at
``manage_db_admin_uri`` (default: postgres@127.0.0.1:5432), once per session, and reports one
test per revision, ``manage_db_verify[<revision>]`` (failing with that revision's defects,
skipped when it is declared irreversible or was not reached), plus ``manage_db_verify[tree]``
for what belongs to no revision (several heads, the reference schema, verify's self-check).
With ``manage_db_models`` (``MODULE:ATTR``, the daemon's MetaData or declarative base) it also adds
``manage_db_check_models[<tree>]``: the models' ``create_all()`` against the migrations' head,
failing with one line per difference (``wazo-manage-db check-models``).

Fixtures for hand-written tests: ``manage_db_verifier`` (a function running verify with the
configured tree) and ``manage_db_throwaway_database`` (a ThrowawayDatabase: ``name``,
``admin_uri``, ``owner_uri`` and ``owner`` of a fresh database, dropped after the test).
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
    parser.addini(
        "manage_db_skip_revisions", "revisions stamped, never run", type="args", default=[]
    )
    parser.addini(
        "manage_db_minimum_downgrade_revision", "no downgrade of it or its ancestors", default=""
    )
    parser.addini(
        "manage_db_baselines",
        "roots whose downgrade does nothing on purpose",
        type="args",
        default=[],
    )
    parser.addini("manage_db_models", "MODULE:ATTR of the models to compare with the head")


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
    # Named after the ini file that enables it, so a CI log reads "pytest.ini::manage_db_verify[…]".
    return _VerifyFile.from_parent(parent, path=Path(config.inipath or file_path))


class _VerifyFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from manage_db.errors import ManageDbError
        from manage_db.services.verify import load_script_directory

        location = _script_location(self.config)
        assert location is not None
        try:
            revisions = load_script_directory(location).revisions
        except ManageDbError as error:
            yield _BrokenTreeItem.from_parent(self, name="manage_db_verify", error=str(error))
            return
        for revision in revisions:
            yield _RevisionItem.from_parent(
                self, name=f"manage_db_verify[{revision}]", revision=revision
            )
        yield _RevisionItem.from_parent(self, name="manage_db_verify[tree]", revision=None)
        models = self.config.getini("manage_db_models")
        if models:
            yield _ModelsItem.from_parent(
                self, name=f"manage_db_check_models[{location.name}]", models=models
            )


class _RevisionItem(pytest.Item):
    """The verdict of verify on one revision (None: on the tree as a whole)."""

    def __init__(self, *, revision: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.revision = revision

    def runtest(self) -> None:
        from manage_db.verify_notifier import defect_lines, summary_line

        report = _session_report(self.config)
        defects = report.defects_of(self.revision)
        if defects:
            raise _VerifyFailed("\n".join([summary_line(report), *defect_lines(defects)]))
        if self.revision is None:
            if report.stopped:
                raise _VerifyFailed(f"{summary_line(report)}\n  stopped: {report.stopped}")
            return
        for skipped in report.not_round_tripped:
            if skipped.revision == self.revision:
                pytest.skip(f"not round-tripped: {skipped.reason}")
        if report.order.index(self.revision) >= report.checked:
            pytest.skip(f"not checked: {report.stopped}")

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, _VerifyFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"wazo-manage-db verify {self.revision or 'tree'}"


class _ModelsItem(pytest.Item):
    """check-models on the configured tree: the models' create_all() against its head."""

    def __init__(self, *, models: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models = models

    def runtest(self) -> None:
        from manage_db.errors import ManageDbError
        from manage_db.models import Component
        from manage_db.schema_check.models_service import check_models
        from manage_db.schema_check.notifier import report_lines

        location = _script_location(self.config)
        assert location is not None
        # No owner role: the throwaway databases belong to a throwaway role, as verify's do.
        component = Component(
            name=location.name,
            script_location=location,
            database="",
            owner="",
            version_table=self.config.getini("manage_db_version_table"),
            extensions=tuple(self.config.getini("manage_db_extensions")),
        )
        admin_uri = _setting(self.config, "manage_db_admin_uri")
        try:
            report = check_models(component, self.models, admin_uri)
        except ManageDbError as error:
            raise _VerifyFailed(f"wazo-manage-db: {error}") from error
        if not report.clean:
            raise _VerifyFailed("\n".join(report_lines(report)))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, _VerifyFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"wazo-manage-db check-models {self.models}"


class _BrokenTreeItem(pytest.Item):
    """The tree does not load: one failing test saying why."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise _VerifyFailed(f"wazo-manage-db: {self.error}")

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "wazo-manage-db verify"


class _VerifyFailed(Exception):
    pass


def _session_report(config: pytest.Config) -> Any:
    """verify's report on the configured tree, run once for the whole session."""
    from manage_db.errors import ManageDbError

    if not hasattr(config, "_manage_db_report"):
        try:
            config._manage_db_report = _verifier(config)()  # type: ignore[attr-defined]
        except ManageDbError as error:  # the same error for every item, verify run once
            config._manage_db_report = _VerifyFailed(f"wazo-manage-db: {error}")  # type: ignore[attr-defined]
    report = config._manage_db_report  # type: ignore[attr-defined]
    if isinstance(report, _VerifyFailed):
        raise report
    return report


def _target(config: pytest.Config) -> Any:
    from manage_db.services.verify import VerifyTarget
    from manage_db.services.verify_walk import WalkPolicy

    location = _script_location(config)
    if location is None:
        pytest.skip("manage_db_script_location is not set")
    return VerifyTarget(
        name=location.name,
        script_location=location,
        version_table=config.getini("manage_db_version_table"),
        extensions=tuple(config.getini("manage_db_extensions")),
        walk=WalkPolicy(
            skip_revisions=tuple(config.getini("manage_db_skip_revisions")),
            minimum_downgrade_revision=config.getini("manage_db_minimum_downgrade_revision")
            or None,
            baselines=tuple(config.getini("manage_db_baselines")),
        ),
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
    """A fresh database owned by a throwaway role (a ThrowawayDatabase), dropped after the test."""
    from manage_db.services.verify import throwaway_database

    with throwaway_database(
        _setting(request.config, "manage_db_admin_uri"), _target(request.config)
    ) as database:
        yield database
