"""The incremental snapshots (event-trigger log) find every defect the full snapshots find.

Each broken tree is verified twice, reading after each step only what the step touched and
reading the whole catalog every time; the reports must be the same, and the incremental run
must end without a self-check defect.  The cases cover what a log could miss: a dropped index or
view, a default, a nullability, a view whose text follows a renamed column (a dependent nobody
touched), a comment removed (a catalog row deleted without a drop), a GRANT (no object in the
log), an enum rebuilt in another label order (a table rewrite rebuilding its indexes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manage_db.dao.ddl_log import Changes, DdlLog
from manage_db.services.verify import SELF_CHECK, VerifyOptions, VerifyTarget, verify_tree

VERSION_TABLE = "alembic_version_fixture"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"
THROWAWAY_ROLE = re.compile(r"manage_db_verify_[0-9a-f]+")

CASES = [
    "clean",
    "forgets_index",
    "forgets_default",
    "keeps_not_null",
    "downgrade_raises",
    "forgets_view",
    "keeps_rename",
    "forgets_comment",
    "grants_in_downgrade",
    "reorders_enum",
    "merged_branches",
]


def run(case, admin_uri, **options):
    target = VerifyTarget(case, FIXTURES / case, VERSION_TABLE)
    return verify_tree(target, admin_uri, VerifyOptions(**options))


def comparable(report):
    """The report as JSON, the throwaway role's random name (in ACLs) made constant."""
    return THROWAWAY_ROLE.sub("<owner>", repr(report.to_dict()))


@pytest.mark.parametrize("case", CASES)
def test_incremental_snapshots_report_what_full_snapshots_report(case, pg_admin_uri):
    incremental = run(case, pg_admin_uri)
    full = run(case, pg_admin_uri, incremental=False)
    assert [d.step for d in incremental.defects].count(SELF_CHECK) == 0
    assert comparable(incremental) == comparable(full)


def test_incremental_snapshots_report_rows_lost_by_a_data_migration(pg_admin_uri):
    seed = ("f2000000move", FIXTURES / "loses_rows" / "seed_contacts.sql")
    incremental = run("loses_rows", pg_admin_uri, seeds=(seed,))
    assert comparable(incremental) == comparable(
        run("loses_rows", pg_admin_uri, seeds=(seed,), incremental=False)
    )
    assert [d.object for d in incremental.defects[0].differences] == ["rows public.contact"]


def test_tree_with_branches_and_a_merge_round_trips(pg_admin_uri):
    report = run("merged_branches", pg_admin_uri)
    assert report.defects == []
    assert report.clean and report.checked == report.revisions == 4


def differences(report, revision, step):
    (defect,) = [d for d in report.defects if (d.revision, d.step) == (revision, step)]
    return [str(d) for d in defect.differences]


def test_downgrade_that_forgets_a_dropped_view_is_reported(pg_admin_uri):
    report = run("forgets_view", pg_admin_uri)
    assert differences(report, "g2000000view", "downgrade") == [
        "view public.contact_names: missing"
    ]


def test_view_following_a_column_rename_is_read_again(pg_admin_uri):
    # The migration touches the table only; the view's text changes as a dependent.
    report = run("keeps_rename", pg_admin_uri)
    found = differences(report, "h2000000rnam", "downgrade")
    assert "table public.contact: column label: extra" in found
    assert any(
        line.startswith("view public.contact_names: definition") and "label AS name" in line
        for line in found
    )


def test_comment_removed_and_not_restored_is_reported(pg_admin_uri):
    report = run("forgets_comment", pg_admin_uri)
    assert differences(report, "i2000000cmnt", "downgrade") == [
        "table public.contact: column name comment: expected 'display name', found none"
    ]


def test_grant_slipped_into_a_downgrade_is_reported(pg_admin_uri):
    report = run("grants_in_downgrade", pg_admin_uri)
    (line,) = differences(report, "j2000000grnt", "downgrade")
    assert line.startswith("table public.contact: acl: expected none, found")
    assert "=r/" in line  # SELECT granted to PUBLIC


def test_enum_rebuilt_in_another_label_order_is_reported(pg_admin_uri):
    report = run("reorders_enum", pg_admin_uri)
    assert differences(report, "k2000000enum", "downgrade") == [
        "enum public.contact_kind: labels: expected ['person', 'company', 'service'], "
        "found ['company', 'person', 'service']"
    ]
    assert report.stopped is None and report.checked == 2


def test_change_the_log_missed_is_a_self_check_defect(pg_admin_uri, monkeypatch):
    # A log that never sees anything: the patched snapshot stays at the first one, and the
    # full read at the end must say so instead of passing silently.
    monkeypatch.setattr(DdlLog, "read", lambda self: Changes(None, 0, frozenset()))
    report = run("forgets_comment", pg_admin_uri)
    (defect,) = report.defects
    assert defect.step == SELF_CHECK
    assert "wazo-manage-db bug" in defect.message
    assert "table public.contact: missing" in [str(d) for d in defect.differences]


@pytest.mark.parametrize(
    "case", ["clean", "forgets_index", "downgrade_raises", "merged_branches", "several_heads"]
)
def test_history_split_over_two_cores_reports_what_one_walk_reports(
    case, pg_admin_uri, monkeypatch
):
    from manage_db.services import verify

    serial = run(case, pg_admin_uri)
    monkeypatch.setattr(verify, "PARALLEL_MIN_REVISIONS", 2)
    monkeypatch.setattr(verify.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    split = run(case, pg_admin_uri)
    assert verify._split(split.revisions) > 0
    assert comparable(split) == comparable(serial)
