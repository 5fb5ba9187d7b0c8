"""`plan` against a live database: failures counted on the real rows, locks and sizes named."""

from __future__ import annotations

import json
import subprocess

from plan_fixture import fill_people, plan_component

from pgtest import query


def _schema_dump(uri: str) -> str:
    dump = subprocess.run(["pg_dump", "-s", uri], check=True, capture_output=True, text=True).stdout
    # pg_dump brackets its output with a random \restrict key each run.
    return "\n".join(line for line in dump.splitlines() if "restrict " not in line)


def _counts(uri: str) -> list[tuple]:
    return query(uri, "SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM tenant)")


def _prepared(run_cli, pg_admin_uri, cleanup, write_config, tmp_path):
    config, names = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)
    assert run_cli("init", config=config).exit_code == 0
    baseline = run_cli("upgrade", "b1_baseline", "--component", "people", config=config)
    assert baseline.exit_code == 0, baseline
    fill_people(names["admin_uri"])
    return config, names


def test_plan_reports_each_failure_on_live_rows_and_changes_nothing(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, names = _prepared(run_cli, pg_admin_uri, cleanup, write_config, tmp_path)
    schema_before, counts_before = _schema_dump(names["admin_uri"]), _counts(names["admin_uri"])

    result = run_cli("plan", config=config)

    assert result.exit_code == 1, result
    out = result.stdout
    assert "people: 4 pending revision(s) from b1_baseline to b5_token" in out
    assert "b2_email_not_null" in out and "would fail" in out
    assert "FAILS: SET NOT NULL on person.email: rows with NULL: 200" in out
    assert "FAILS: UNIQUE on person(email): duplicate rows in 50 group(s): 100" in out
    assert "FAILS: FOREIGN KEY person(tenant_id) -> tenant: orphan rows: 30" in out
    assert "ACCESS EXCLUSIVE lock (blocks reads and writes)" in out
    assert "SHARE lock (blocks writes)" in out
    assert "person: ~20000 rows" in out
    assert "b5_token" in out and "rewrites the table" in out
    assert "gen_random_uuid() is volatile" in out
    assert _schema_dump(names["admin_uri"]) == schema_before
    assert _counts(names["admin_uri"]) == counts_before


def test_plan_json_names_locks_sizes_and_counts(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, _ = _prepared(run_cli, pg_admin_uri, cleanup, write_config, tmp_path)

    result = run_cli("plan", "--json", config=config)

    assert result.exit_code == 1, result
    [people] = json.loads(result.stdout)
    assert people["would_fail"] is True
    assert people["tables"]["person"]["estimated_rows"] == 20000
    assert people["tables"]["person"]["total_bytes"] > 0
    verdicts = {r["revision"]: r["verdict"] for r in people["revisions"]}
    assert verdicts == {
        "b2_email_not_null": "would fail",
        "b3_email_unique": "would fail",
        "b4_tenant_fk": "would fail",
        "b5_token": "risky",
    }
    checks = {
        c["kind"]: c for r in people["revisions"] for s in r["statements"] for c in s["checks"]
    }
    assert checks["not_null"]["failing_rows"] == 200
    assert checks["not_null"]["sample_keys"] == ["1", "2", "3", "4", "5"]
    assert checks["unique"]["failing_rows"] == 100
    assert checks["foreign_key"]["failing_rows"] == 30
    assert checks["foreign_key"]["sample_keys"][0] == "19971"
    token = people["revisions"][3]["statements"][0]
    assert token["rewrites"] is True and token["lock"].startswith("ACCESS EXCLUSIVE")


def test_plan_on_clean_data_exits_zero(run_cli, pg_admin_uri, cleanup, write_config, tmp_path):
    config, names = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", "b1_baseline", "--component", "people", config=config).exit_code == 0

    result = run_cli("plan", config=config)

    assert result.exit_code == 0, result
    assert "would succeed" in result.stdout


def test_upgrade_with_plan_stops_before_anything_when_the_plan_fails(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, names = _prepared(run_cli, pg_admin_uri, cleanup, write_config, tmp_path)

    result = run_cli("upgrade", "--plan", config=config)

    assert result.exit_code == 1, result
    assert "rows with NULL: 200" in result.stdout
    assert "would fail; nothing was upgraded (--force to upgrade anyway)" in result.stderr
    assert query(names["admin_uri"], "SELECT version_num FROM chatd_alembic_version") == [
        ("b1_baseline",)
    ]
    log = (tmp_path / "wazo-manage-db.log").read_text()
    assert "plan:" in log and "rows with NULL: 200" in log


def test_upgrade_with_plan_and_force_goes_on_to_the_real_failure(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, names = _prepared(run_cli, pg_admin_uri, cleanup, write_config, tmp_path)

    result = run_cli("upgrade", "--plan", "--force", config=config)

    assert result.exit_code == 5, result
    assert "going on (--force)" in result.stderr
    assert "revision b2_email_not_null failed" in result.stderr


def test_upgrade_with_plan_applies_when_the_plan_passes(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, names = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)
    assert run_cli("init", config=config).exit_code == 0

    result = run_cli("upgrade", "--plan", config=config)

    assert result.exit_code == 0, result
    assert "5 pending revision(s) from base" in result.stdout
    assert query(names["admin_uri"], "SELECT version_num FROM chatd_alembic_version") == [
        ("b5_token",)
    ]


def test_plan_of_an_unreachable_component_is_a_connection_error(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, _ = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)

    result = run_cli("plan", config=config)

    assert result.exit_code == 4, result
    assert "people: error: cannot connect" in result.stdout
    assert result.stderr.startswith("wazo-manage-db: cannot connect to ")
    assert "secret" not in result.stdout + result.stderr


def test_upgrade_with_plan_of_an_unreachable_component_stops_with_its_code(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    config, _ = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)

    result = run_cli("upgrade", "--plan", config=config)

    assert result.exit_code == 4, result
    assert "no plan for people; nothing was upgraded" in result.stderr
