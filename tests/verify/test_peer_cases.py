"""pytest-alembic's cases, on trees of our own: the verdict verify gives each, and why.

pytest-alembic (schireson/pytest-alembic) round-trips a history with ``test_up_down_consistency``
(every upgrade one by one, every downgrade, every upgrade again) and fails a tree with several
heads in ``test_single_head_revision``; ``skip_revisions`` and ``minimum_downgrade_revision``
shape its walk. Each case below is one behaviour of its example histories, written again here
(tests/fixtures/verify), with our verdict. bench/peer_pytest_alembic.py runs its own examples.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manage_db.services.verify import VerifyOptions, VerifyTarget, verify_tree
from manage_db.services.verify_walk import WalkPolicy

VERSION_TABLE = "alembic_version_fixture"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"


def verify(case, admin_uri, **policy):
    target = VerifyTarget(case, FIXTURES / case, VERSION_TABLE, walk=WalkPolicy(**policy))
    return verify_tree(target, admin_uri, VerifyOptions())


def found(report):
    return [(d.revision, d.step) for d in report.defects]


def test_several_heads_every_branch_is_round_tripped(pg_admin_uri):
    # pytest-alembic: test_single_head_revision fails; its round trip goes along both branches.
    # Ours: the heads are a defect of the tree, and each revision of each branch is still
    # round-tripped, so the second branch's downgrade that forgets its comment is found too.
    report = verify("several_heads", pg_admin_uri)
    assert found(report) == [(None, "heads"), ("w3000000rght", "downgrade")]
    assert "2 heads (w2000000left, w4000000tail)" in report.defects[0].message
    assert [str(d) for d in report.defects[1].differences] == [
        "table public.line: comment: expected none, found 'phone lines'"
    ]
    assert report.checked == report.revisions == 4 and report.stopped is None


def test_branches_and_their_merge_round_trip_clean(pg_admin_uri):
    # pytest-alembic: passes (test_branched_history_with_mergepoint). Ours: clean, each branch
    # and the merge round-tripped (the merge's downgrade leaves both branches as heads).
    report = verify("merged_branches", pg_admin_uri)
    assert report.clean and report.checked == report.revisions == 4


def test_a_skipped_revision_is_not_run(pg_admin_uri):
    # pytest-alembic: skip_revisions stamps the revision; its code (which raises) never runs.
    # Ours: verify.skip_revisions, the same; the next revision's failing downgrade is reported.
    report = verify("skip_and_minimum", pg_admin_uri, skip_revisions=("s2000000slow",))
    assert found(report) == [("s3000000purge", "downgrade")]
    assert "the purged calls cannot come back" in report.defects[0].message
    assert ("s2000000slow", "skipped (verify.skip_revisions): not run") in [
        (n.revision, n.reason) for n in report.not_round_tripped
    ]
    assert report.checked == 4 and report.stopped is None


def test_nothing_is_downgraded_at_or_below_the_minimum_downgrade_revision(pg_admin_uri):
    # pytest-alembic: minimum_downgrade_revision stops its downgrades there: passes.
    # Ours: verify.minimum_downgrade_revision, that revision and its ancestors are upgraded only.
    report = verify(
        "skip_and_minimum",
        pg_admin_uri,
        skip_revisions=("s2000000slow",),
        minimum_downgrade_revision="s3000000purge",
    )
    assert report.clean and report.defects == []
    assert [n.revision for n in report.not_round_tripped] == [
        "s1000000base", "s2000000slow", "s3000000purge",
    ]  # fmt: skip


def test_without_the_settings_the_failing_upgrade_stops_the_walk(pg_admin_uri):
    # pytest-alembic without skip_revisions: test_upgrade fails on the revision that raises.
    report = verify("skip_and_minimum", pg_admin_uri)
    assert found(report) == [("s2000000slow", "upgrade")]
    assert report.stopped == "upgrade of s2000000slow failed"


def test_a_root_whose_downgrade_does_nothing_fails_its_round_trip(pg_admin_uri):
    # pytest-alembic: the re-upgrade fails ("after performing a roundtrip"). Ours: the same
    # (plus the downgrade's differences), since its upgrade runs no SQL dump.
    report = verify("baseline_pass", pg_admin_uri)
    assert found(report) == [("p1000000base", "downgrade"), ("p1000000base", "re-upgrade")]


def test_a_root_listed_in_verify_baselines_is_not_round_tripped(pg_admin_uri):
    report = verify("baseline_pass", pg_admin_uri, baselines=("p1000000base",))
    assert report.clean
    assert [(n.revision, n.reason) for n in report.not_round_tripped] == [
        ("p1000000base", "baseline (verify.baselines)")
    ]


def test_a_squashed_baseline_running_a_sql_dump_is_not_round_tripped(pg_admin_uri):
    # The platform's shape (wazo-auth's baseline-2514.sql): upgrade runs the dump, downgrade is
    # pass. pytest-alembic would fail it; we take it as the history's floor.
    report = verify("baseline_sql_dump", pg_admin_uri)
    assert report.clean and report.checked == report.revisions == 2
    assert [n.revision for n in report.not_round_tripped] == ["q1000000base"]


def test_a_later_revision_whose_downgrade_is_pass_is_caught(pg_admin_uri):
    # pytest-alembic passes it: it downgrades the whole history before upgrading again, and the
    # root's DROP TABLE takes the forgotten column with it. Ours round-trips each revision on
    # its own: the downgrade leaves the column (a difference), the re-upgrade fails on it.
    report = verify("downgrade_pass", pg_admin_uri)
    assert found(report) == [("r2000000name", "downgrade"), ("r2000000name", "re-upgrade")]
    assert 'column "name" of relation "queue" already exists' in report.defects[1].message


@pytest.fixture
def cli_verify(run_cli):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify as command

    if "verify" not in cli.commands:
        cli.add_command(command)
    return run_cli


def test_command_line_reads_the_global_walk_settings(cli_verify, write_config, pg_admin_uri):
    config = write_config(
        {
            "plugins": False,
            "verify": {
                "skip_revisions": ["s2000000slow"],
                "minimum_downgrade_revision": "s3000000purge",
            },
        }
    )
    result = cli_verify(
        "verify", "--script-location", str(FIXTURES / "skip_and_minimum"),
        "--version-table", VERSION_TABLE, "--admin-uri", pg_admin_uri, "--json",
        config=config,
    )  # fmt: skip
    assert result.exit_code == 0, result
    (report,) = json.loads(result.stdout)
    assert report["clean"] and len(report["not_round_tripped"]) == 3


def test_command_line_reads_a_component_own_walk_settings(cli_verify, write_config, pg_admin_uri):
    config = write_config(
        {
            "plugins": False,
            "admin_uri": pg_admin_uri,
            "verify": {"baselines": []},
            "components": {
                "calls": {
                    "script_location": str(FIXTURES / "skip_and_minimum"),
                    "version_table": VERSION_TABLE,
                    "owner": "manage_db_no_such_role",
                    "verify": {"skip_revisions": ["s2000000slow"]},
                }
            },
        }
    )
    result = cli_verify("verify", "--component", "calls", config=config)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[0] == (
        "calls: 1 defect(s), 4/4 revisions checked, 1 not round-tripped"
    )


def test_command_line_refuses_a_setting_naming_an_unknown_revision(
    cli_verify, write_config, pg_admin_uri
):
    config = write_config({"plugins": False, "verify": {"skip_revisions": ["beef"]}})
    result = cli_verify(
        "verify", "--script-location", str(FIXTURES / "skip_and_minimum"),
        "--version-table", VERSION_TABLE, "--admin-uri", pg_admin_uri,
        config=config,
    )  # fmt: skip
    assert result.exit_code == 2, result
    assert "verify.skip_revisions: unknown revision 'beef' in " in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_command_line_refuses_an_unknown_key_in_a_component_verify_mapping(
    cli_verify, write_config, pg_admin_uri
):
    config = write_config(
        {
            "plugins": False,
            "components": {
                "calls": {
                    "script_location": str(FIXTURES / "skip_and_minimum"),
                    "verify": {"skip": ["s2000000slow"]},
                }
            },
        }
    )
    result = cli_verify(
        "verify", "--component", "calls", "--admin-uri", pg_admin_uri, config=config
    )
    assert result.exit_code == 2, result
    assert "components.calls.verify: unknown key 'skip'" in result.stderr
