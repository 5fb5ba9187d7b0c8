"""The pytest plugin's check-models item, in a pytest process of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VERSION_TABLE = "alembic_version_shop"

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _explicit_plugin(monkeypatch):
    """The plugin loaded with -p only, from this checkout."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), path])))


def _ini(pytester, tree: Path, admin_uri: str, models: str) -> None:
    pytester.makeini(
        f"""
        [pytest]
        manage_db_script_location = {tree}
        manage_db_version_table = {VERSION_TABLE}
        manage_db_admin_uri = {admin_uri}
        manage_db_models = {models}
        """
    )


def test_matching_models_pass_as_their_own_item(pytester, shop_tree, write_models, pg_admin_uri):
    _ini(pytester, shop_tree, pg_admin_uri, write_models())
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin", "-rA")
    result.stdout.fnmatch_lines(["PASSED *manage_db_check_models?alembic?"])


def test_a_mismatch_fails_the_item_with_one_line(pytester, shop_tree, write_models, pg_admin_uri):
    models = write_models(('sa.Index("account_email_idx", "email"),', ""))
    _ini(pytester, shop_tree, pg_admin_uri, models)
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin", "-rA")
    result.stdout.fnmatch_lines(
        [
            "*index public.account_email_idx: in the migrations, not in the models*",
            "FAILED *manage_db_check_models?alembic?*",
        ],
        consecutive=False,
    )
