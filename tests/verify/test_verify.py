"""verify on deliberately broken trees: each defect names its revision and its object."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg2
import pytest

from manage_db.services.verify import VerifyOptions, VerifyTarget, verify_tree

VERSION_TABLE = "alembic_version_fixture"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"


@pytest.fixture
def tree():
    """Path of a broken (or clean) fixture tree by case name."""
    return lambda case: FIXTURES / case


def run(tree_path, admin_uri, **options):
    target = VerifyTarget(tree_path.name, tree_path, VERSION_TABLE)
    return verify_tree(target, admin_uri, VerifyOptions(**options))


def objects(defect):
    return [str(d) for d in defect.differences]


def test_clean_tree_with_seeded_rows_passes(tree, pg_admin_uri):
    seed = ("a2000000idx", tree("clean") / "seed_contacts.sql")
    report = run(tree("clean"), pg_admin_uri, seeds=(seed,))
    assert report.defects == []
    assert report.clean and report.checked == report.revisions == 4


def test_downgrade_that_forgets_an_index_is_reported(tree, pg_admin_uri):
    report = run(tree("forgets_index"), pg_admin_uri)
    downgrade = report.defects[0]
    assert (downgrade.revision, downgrade.step) == ("b2000000idx", "downgrade")
    assert objects(downgrade) == ["index public.contact_name_idx: extra"]
    assert report.defects[1].step == "re-upgrade"
    assert "contact_name_idx" in report.defects[1].message
    assert not report.clean


def test_downgrade_that_forgets_a_server_default_is_reported(tree, pg_admin_uri):
    report = run(tree("forgets_default"), pg_admin_uri)
    assert [(d.revision, d.step) for d in report.defects] == [("c2000000dflt", "downgrade")]
    (difference,) = report.defects[0].differences
    assert difference.object == "table public.contact"
    assert difference.path == ("columns", "name", "default")
    assert difference.expected == "''::character varying" and difference.actual is None
    assert report.checked == 3  # the walk went on to the last revision


def test_downgrade_that_leaves_nullability_changed_is_reported(tree, pg_admin_uri):
    report = run(tree("keeps_not_null"), pg_admin_uri)
    assert [(d.revision, d.step) for d in report.defects] == [("d2000000null", "downgrade")]
    assert objects(report.defects[0]) == [
        "table public.contact: column phone not_null: expected False, found True"
    ]


def test_downgrade_that_raises_is_reported_and_the_walk_goes_on(tree, pg_admin_uri):
    report = run(tree("downgrade_raises"), pg_admin_uri)
    assert [(d.revision, d.step) for d in report.defects] == [("e2000000boom", "downgrade")]
    assert "no way back from e2000000boom" in report.defects[0].message
    assert report.checked == 3 and report.stopped is None


def test_data_migration_whose_downgrade_loses_rows_is_reported(tree, pg_admin_uri):
    seed = ("f2000000move", tree("loses_rows") / "seed_contacts.sql")
    report = run(tree("loses_rows"), pg_admin_uri, seeds=(seed,))
    downgrade = report.defects[0]
    assert (downgrade.revision, downgrade.step) == ("f2000000move", "downgrade")
    assert [d.object for d in downgrade.differences] == ["rows public.contact"]


def test_lost_rows_go_unnoticed_without_data(tree, pg_admin_uri):
    # Without seeded rows there is nothing to lose: the schema round-trips.
    assert run(tree("loses_rows"), pg_admin_uri).clean


def _upgraded_database(tree_path, throwaway_db, monkeypatch):
    from alembic import command
    from alembic.config import Config

    uri = throwaway_db()
    monkeypatch.setenv("ALEMBIC_DB_URI", uri)
    config = Config()
    config.set_main_option("script_location", str(tree_path))
    command.upgrade(config, "head")
    return uri


def test_head_matching_the_reference_database_is_clean(
    tree, pg_admin_uri, throwaway_db, monkeypatch
):
    reference = _upgraded_database(tree("clean"), throwaway_db, monkeypatch)
    assert run(tree("clean"), pg_admin_uri, reference=reference).clean


def test_head_differing_from_a_reference_dump_is_reported(
    tree, pg_admin_uri, throwaway_db, monkeypatch, tmp_path
):
    reference = _upgraded_database(tree("clean"), throwaway_db, monkeypatch)
    conn = psycopg2.connect(reference)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE contact ADD COLUMN nickname text")
    conn.close()
    dump = tmp_path / "reference.sql"
    subprocess.run(["pg_dump", "-s", "-O", "-x", "-f", str(dump), reference], check=True)
    report = run(tree("clean"), pg_admin_uri, reference=str(dump))
    (defect,) = report.defects
    assert defect.step == "reference"
    assert [str(d) for d in defect.differences] == [
        "table public.contact: column nickname: missing"
    ]


def test_unknown_seed_revision_is_a_tree_error(tree, pg_admin_uri):
    from manage_db.errors import TreeError

    with pytest.raises(TreeError, match="unknown revision"):
        run(tree("clean"), pg_admin_uri, seeds=(("nope", tree("clean") / "seed_contacts.sql"),))


def test_command_line_reports_json_and_exits_1(tree, pg_admin_uri, run_cli):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify

    if "verify" not in cli.commands:  # until the lead registers the command
        cli.add_command(verify)
    result = run_cli(
        "verify", "--script-location", str(tree("keeps_not_null")),
        "--version-table", VERSION_TABLE, "--admin-uri", pg_admin_uri, "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result
    (report,) = json.loads(result.stdout)
    assert report["defects"][0]["revision"] == "d2000000null"
    assert report["defects"][0]["differences"][0]["property"] == "columns/phone/not_null"
