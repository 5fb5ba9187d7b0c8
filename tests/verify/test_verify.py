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


def test_downgrade_raising_not_implemented_is_not_round_tripped_and_the_walk_goes_on(
    tree, pg_admin_uri
):
    report = run(tree("downgrade_raises"), pg_admin_uri)
    assert report.defects == [] and report.clean
    (skipped,) = report.not_round_tripped
    assert skipped.revision == "e2000000boom"
    assert "NotImplementedError: no way back from e2000000boom" in skipped.reason
    assert report.checked == 3 and report.stopped is None


# The planted defects of tests/fixtures/verify/history, in walk order.
HISTORY_DEFECTS = [
    ("h3000000swap", "downgrade"),  # recreates memo instead of the note its upgrade dropped
    ("h3000000swap", "re-upgrade"),  # ... so dropping note again fails: database rebuilt
    ("h5000000rows", "downgrade"),  # NOT NULL again fails on the row its upgrade inserted
    ("h6000000uniq", "downgrade"),  # a plain index instead of the unique constraint
    ("h6000000uniq", "re-upgrade"),  # ... so dropping the constraint again fails: rebuilt
    ("h8000000fail", "downgrade"),  # drops a table that does not exist
]


def test_every_planted_defect_of_a_history_is_reported_in_one_run(tree, pg_admin_uri):
    report = run(tree("history"), pg_admin_uri)
    assert [(d.revision, d.step) for d in report.defects] == HISTORY_DEFECTS
    swap, swap_again, rows, unique, _, fail = report.defects
    assert objects(swap) == [
        "index public.memo_pkey: extra",
        "index public.note_pkey: missing",
        "sequence public.memo_id_seq: extra",
        "sequence public.note_id_seq: missing",
        "table public.memo: extra",
        "table public.note: missing",
    ]
    assert 'table "note" does not exist' in swap_again.message
    assert 'column "login" of relation "account" contains null values' in rows.message
    assert "table public.contact: constraint contact_name_key: missing" in objects(unique)
    assert 'table "audit_log" does not exist' in fail.message
    assert report.checked == report.revisions == 11 and report.stopped is None
    assert report.rebuilds == 2


def test_failed_downgrade_that_committed_part_of_its_work_is_rebuilt_and_the_walk_goes_on(
    tree, pg_admin_uri
):
    report = run(tree("partial_downgrade"), pg_admin_uri)
    (defect,) = report.defects
    assert (defect.revision, defect.step) == ("k2000000part", "downgrade")
    assert 'table "label_archive" does not exist' in defect.message
    # label was dropped for good: the next revision (which alters it) runs on a rebuilt database
    assert report.rebuilds == 1 and report.checked == report.revisions == 3


def test_irreversible_revisions_of_a_history_are_listed_not_reported(tree, pg_admin_uri):
    report = run(tree("history"), pg_admin_uri)
    assert [(n.revision, n.reason) for n in report.not_round_tripped] == [
        ("h1000000base", "baseline running baseline_h1.sql, downgrade does nothing"),
        ("h9000000irr", "declared irreversible (irreversible = True)"),
        (
            "ha000000nie",
            "downgrade raises NotImplementedError: the original case of the addresses is lost",
        ),
    ]
    assert not {n.revision for n in report.not_round_tripped} & {r for r, _ in HISTORY_DEFECTS}


def test_root_whose_downgrade_is_pass_without_a_sql_dump_is_a_failing_round_trip(
    tree, pg_admin_uri
):
    # Not a squashed baseline (its upgrade runs no SQL dump, verify.baselines does not list it):
    # like pytest-alembic, its re-upgrade fails on what the downgrade left.
    report = run(tree("baseline_pass"), pg_admin_uri)
    assert [(d.revision, d.step) for d in report.defects] == [
        ("p1000000base", "downgrade"),
        ("p1000000base", "re-upgrade"),
    ]
    assert 'relation "line" already exists' in report.defects[1].message
    assert report.not_round_tripped == []


def test_migration_calling_a_declared_extension_s_function_verifies_as_upgrade_runs_it(
    tree, pg_admin_uri
):
    # upgrade connects with search_path=<schema>,public when the component declares extensions
    # (init creates them in public): verify's throwaway database finds the function the same way.
    target = VerifyTarget(
        "public_on_path",
        tree("public_on_path"),
        VERSION_TABLE,
        schema="auth",
        extensions=("uuid-ossp",),
    )
    report = verify_tree(target, pg_admin_uri)
    assert report.clean and report.defects == []
    assert report.checked == report.revisions == 1


def test_migration_calling_an_undeclared_extension_s_function_fails_as_in_upgrade(
    tree, pg_admin_uri
):
    target = VerifyTarget("public_on_path", tree("public_on_path"), VERSION_TABLE, schema="auth")
    report = verify_tree(target, pg_admin_uri)
    (defect,) = report.defects
    assert (defect.revision, defect.step) == ("q1000000uuid", "upgrade")
    assert "function uuid_generate_v4() does not exist" in defect.message
    assert report.stopped == "upgrade of q1000000uuid failed" and report.checked == 0


def test_throwaway_owner_connection_has_the_component_schema_alone_on_its_path(pg_admin_uri):
    from manage_db.dao.throwaway import throwaway_database

    with throwaway_database(pg_admin_uri, schema="auth") as database:
        connection = psycopg2.connect(database.owner_uri)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schemas(false)")
            assert cursor.fetchone() == (["auth"],)
        connection.close()


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
    assert (report["checked"], report["revisions"]) == (2, 2)


def test_command_line_summary_counts_checked_and_not_round_tripped_revisions(
    tree, pg_admin_uri, run_cli
):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify

    if "verify" not in cli.commands:
        cli.add_command(verify)
    result = run_cli(
        "verify", "--script-location", str(tree("history")),
        "--version-table", VERSION_TABLE, "--admin-uri", pg_admin_uri,
    )  # fmt: skip
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "history: 6 defect(s), 11/11 revisions checked, 3 not round-tripped, "
        "database rebuilt 2 time(s)"
    )
    assert (
        "  h3000000swap downgrade: downgrade does not restore the database: 6 difference(s)"
        in lines
    )
    assert "  h9000000irr not round-tripped: declared irreversible (irreversible = True)" in lines
    assert not any(line.startswith("  stopped") for line in lines)


def test_command_line_json_lists_not_round_tripped_revisions_and_exits_0(
    tree, pg_admin_uri, run_cli
):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify

    if "verify" not in cli.commands:
        cli.add_command(verify)
    result = run_cli(
        "verify", "--script-location", str(tree("baseline_sql_dump")),
        "--version-table", VERSION_TABLE, "--admin-uri", pg_admin_uri, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result
    (report,) = json.loads(result.stdout)
    assert report["clean"] and (report["checked"], report["revisions"]) == (2, 2)
    assert report["not_round_tripped"] == [
        {
            "revision": "q1000000base",
            "reason": "baseline running baseline-q1.sql, downgrade does nothing",
        }
    ]
