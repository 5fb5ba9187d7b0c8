"""The pytest plugin, run in a separate pytest process (in-process runs re-import SQLAlchemy)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "verify"
# The revisions of tests/fixtures/verify/history with a planted defect.
HISTORY_DEFECTS = ["h3000000swap", "h5000000rows", "h6000000uniq", "h8000000fail"]


@pytest.fixture(autouse=True)
def _explicit_plugin(monkeypatch):
    """Load the plugin with -p only (installed, its entry point would register it twice), from
    this checkout (an interpreter without the package installed finds it too)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), path])))


def _ini(pytester, tree: str, admin_uri: str) -> None:
    pytester.makeini(
        f"""
        [pytest]
        manage_db_script_location = {FIXTURES / tree}
        manage_db_version_table = alembic_version_fixture
        manage_db_admin_uri = {admin_uri}
        """
    )


def test_plugin_adds_no_test_unless_enabled(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin")
    result.assert_outcomes(passed=1)


def test_plugin_fails_the_one_revision_whose_downgrade_forgets_a_default(pytester, pg_admin_uri):
    _ini(pytester, "forgets_default", pg_admin_uri)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin", "-rA")
    # test_nothing, two good revisions and the tree pass; the faulty revision fails by name.
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "PASSED *manage_db_verify?c1000000base?",
            "PASSED *manage_db_verify?c3000000more?",
            "PASSED *manage_db_verify?tree?",
            "FAILED *manage_db_verify?c2000000dflt?*",
        ],
        consecutive=False,
    )
    result.stdout.fnmatch_lines(["*c2000000dflt downgrade*", "*column name default*"])


def test_plugin_skips_an_irreversible_revision_and_names_each_defect(pytester, pg_admin_uri):
    _ini(pytester, "history", pg_admin_uri)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin", "-rA")
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert sorted(line.split("[")[1].split("]")[0] for line in failed) == sorted(HISTORY_DEFECTS)
    result.stdout.fnmatch_lines(["SKIPPED *not round-tripped*"])


def test_plugin_reports_a_tree_that_does_not_load(pytester, pg_admin_uri, tmp_path):
    pytester.makeini(
        f"""
        [pytest]
        manage_db_script_location = {tmp_path}
        manage_db_admin_uri = {pg_admin_uri}
        """
    )
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*wazo-manage-db: *not an alembic script directory*"])


def test_plugin_passes_a_clean_tree_and_offers_fixtures(pytester, pg_admin_uri):
    _ini(pytester, "clean", pg_admin_uri)
    pytester.makepyfile(
        """
        import psycopg2

        def test_seeded(manage_db_verifier):
            assert manage_db_verifier(check_rows=True).clean

        def test_database(manage_db_throwaway_database):
            conn = psycopg2.connect(manage_db_throwaway_database.owner_uri)
            conn.close()
        """
    )
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin")
    result.assert_outcomes(passed=2 + 5)  # two tests of its own, 4 revisions and the tree


def test_plugin_skips_and_stops_downgrading_as_its_ini_says(pytester, pg_admin_uri):
    pytester.makeini(
        f"""
        [pytest]
        manage_db_script_location = {FIXTURES / "skip_and_minimum"}
        manage_db_version_table = alembic_version_fixture
        manage_db_admin_uri = {pg_admin_uri}
        manage_db_skip_revisions = s2000000slow
        manage_db_minimum_downgrade_revision = s3000000purge
        """
    )
    result = pytester.runpytest_subprocess("-p", "manage_db.pytest_plugin", "-rA")
    # s4000000tag round-trips, the tree passes; the three others are skipped, each saying why.
    result.assert_outcomes(passed=2, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "PASSED *manage_db_verify?s4000000tag?",
            "SKIPPED [[]2] *not round-tripped: at or below verify.minimum_downgrade_revision*",
            "SKIPPED [[]1] *not round-tripped: skipped (verify.skip_revisions): not run",
        ],
        consecutive=False,
    )
