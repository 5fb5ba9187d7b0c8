"""Fixtures of the verify tests: the broken trees under tests/fixtures/verify."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"
VERSION_TABLE = "alembic_version_fixture"


@pytest.fixture
def tree():
    """Path of a fixture tree by case name."""

    def path(case: str) -> Path:
        return FIXTURES / case

    return path
