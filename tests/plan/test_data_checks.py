"""The other statements that can fail on existing rows, and a busy table."""

from __future__ import annotations

import json

import psycopg2
from plan_fixture import fill_people, plan_component


def _plan_of(run_cli, pg_admin_uri, cleanup, write_config, tmp_path, revisions, **extra):
    config, names = plan_component(
        pg_admin_uri, cleanup, write_config, tmp_path, revisions=revisions, **extra
    )
    assert run_cli("init", config=config).exit_code == 0
    baseline = run_cli("upgrade", "b1_baseline", "--component", "people", config=config)
    assert baseline.exit_code == 0, baseline
    fill_people(names["admin_uri"])
    return config, names


def _checks(result) -> dict[str, dict]:
    [people] = json.loads(result.stdout)
    return {
        r["revision"]: c for r in people["revisions"] for s in r["statements"] for c in s["checks"]
    }


def test_check_constraint_type_cast_and_not_null_column_count_the_rows_they_fail_on(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    revisions = [
        ("c2_check", "op.create_check_constraint('person_id_small', 'person', 'id <= 19000')"),
        ("c3_cast", "op.alter_column('person', 'email', type_=sa.Integer())"),
        (
            "c4_required",
            "op.add_column('person', sa.Column('badge', sa.Integer(), nullable=False))",
        ),
        ("c5_cast_ok", "op.alter_column('person', 'tenant_id', type_=sa.BigInteger())"),
    ]
    config, _ = _plan_of(run_cli, pg_admin_uri, cleanup, write_config, tmp_path, revisions)

    result = run_cli("plan", "--json", config=config)

    assert result.exit_code == 1, result
    checks = _checks(result)
    assert checks["c2_check"]["kind"] == "check"
    assert checks["c2_check"]["failing_rows"] == 1000
    assert checks["c2_check"]["sample_keys"][0] == "19001"
    assert checks["c3_cast"]["kind"] == "type_cast"
    # Every non-NULL email fails; past 200 distinct values the count is a lower bound.
    assert 200 <= checks["c3_cast"]["failing_rows"] <= 19800
    assert "at least" in checks["c3_cast"]["description"]
    assert checks["c3_cast"]["sample_keys"]
    assert checks["c4_required"]["failing_rows"] == 20000
    assert checks["c5_cast_ok"]["failing_rows"] == 0


def test_plan_names_sessions_holding_the_table_and_long_transactions(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    revisions = [("d2_index", "op.create_index('person_tenant_idx', 'person', ['tenant_id'])")]
    config, names = _plan_of(
        run_cli,
        pg_admin_uri,
        cleanup,
        write_config,
        tmp_path,
        revisions,
        plan={"long_transaction": 0},
    )
    # A daemon connected as the owner role: the plan's role sees its sessions in full.
    busy = psycopg2.connect(names["owner_uri"], application_name="busy-daemon")
    try:
        with busy.cursor() as cur:
            cur.execute("UPDATE person SET email = email WHERE id = 1")

            result = run_cli("plan", config=config)
    finally:
        busy.close()

    assert result.exit_code == 0, result
    assert "d2_index d2 index: risky" in result.stdout
    assert "person is held now by 1 session(s)" in result.stdout
    assert "(busy-daemon) RowExclusiveLock granted, idle in transaction" in result.stdout
    assert "long transaction: pid" in result.stdout


def test_table_locked_exclusively_is_not_waited_for_beyond_lock_timeout(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    revisions = [("e2_not_null", "op.alter_column('person', 'email', nullable=False)")]
    config, names = _plan_of(
        run_cli,
        pg_admin_uri,
        cleanup,
        write_config,
        tmp_path,
        revisions,
        plan={"lock_timeout": 0.2},
    )
    holder = psycopg2.connect(names["admin_uri"])
    try:
        with holder.cursor() as cur:
            cur.execute("LOCK TABLE person IN ACCESS EXCLUSIVE MODE")

            result = run_cli("plan", config=config)
    finally:
        holder.close()

    assert result.exit_code == 0, result
    assert "e2_not_null e2 not null: risky" in result.stdout
    assert "not checked (canceling statement due to lock timeout)" in result.stdout
    assert "person: ~20000 rows" in result.stdout


def test_revision_that_needs_a_connection_is_planned_from_its_sql_strings(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    body = """
    if op.get_bind().execute(sa.text("SELECT count(*) FROM person")).scalar():
        op.execute("ALTER TABLE person ALTER COLUMN email SET NOT NULL")
    """
    config, _ = _plan_of(
        run_cli, pg_admin_uri, cleanup, write_config, tmp_path, [("f2_bind", body)]
    )

    result = run_cli("plan", "--json", config=config)

    assert result.exit_code == 1, result
    [people] = json.loads(result.stdout)
    [revision] = people["revisions"]
    assert revision["source"] == "source"
    assert "emitted nothing offline" in revision["note"]
    [check] = [c for s in revision["statements"] for c in s["checks"]]
    assert check["failing_rows"] == 200


def test_plan_reads_in_one_read_only_transaction_taking_access_share_at_most(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path, monkeypatch
):
    from manage_db.dao import table_facts
    from manage_db.models import Component
    from manage_db.services.plan import PlanSettings, plan_component

    config, names = _plan_of(run_cli, pg_admin_uri, cleanup, write_config, tmp_path, None)
    seen: dict[str, object] = {}
    real_end = table_facts.end

    def inspect_then_end(conn):
        with conn.cursor() as cur:
            cur.execute(
                "SELECT DISTINCT mode FROM pg_locks WHERE pid = pg_backend_pid()"
                " AND locktype = 'relation'"
            )
            seen["modes"] = {row[0] for row in cur.fetchall()}
            cur.execute(
                "SELECT current_setting('transaction_read_only'),"
                " current_setting('statement_timeout')"
            )
            seen["read_only"], seen["statement_timeout"] = cur.fetchone()
        real_end(conn)

    monkeypatch.setattr(table_facts, "end", inspect_then_end)
    component = Component(
        "people",
        names["location"],
        names["database"],
        names["role"],
        version_table="chatd_alembic_version",
    )

    plan = plan_component(component, names["owner_uri"], PlanSettings(statement_timeout=7), 0.0)

    assert plan.would_fail
    assert seen["modes"] == {"AccessShareLock"}
    assert seen["read_only"] == "on"
    assert seen["statement_timeout"] == "7s"


def test_statements_after_a_rename_are_not_checked_against_the_old_catalog(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    revisions = [
        ("g2_rename", "op.alter_column('person', 'email', new_column_name='mail')"),
        ("g3_not_null", "op.alter_column('person', 'mail', nullable=False)"),
        ("g4_update", "op.execute('UPDATE person SET tenant_id = 1 WHERE tenant_id = 99')"),
    ]
    config, _ = _plan_of(run_cli, pg_admin_uri, cleanup, write_config, tmp_path, revisions)

    result = run_cli("plan", "--json", config=config)

    assert result.exit_code == 0, result
    [people] = json.loads(result.stdout)
    rename, not_null, update = people["revisions"]
    assert rename["statements"][0]["lock"].startswith("ACCESS EXCLUSIVE")
    assert not_null["statements"][0]["checks"] == []  # the column is the renamed one
    assert update["statements"][0]["table"] == "person"
    assert update["statements"][0]["lock"] is None
