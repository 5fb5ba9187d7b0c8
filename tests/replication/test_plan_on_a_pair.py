"""plan on a pair: the replication lag now, and the WAL each table rewrite will write."""

from __future__ import annotations

import json

from replication_pair import REVISIONS

REWRITE = (
    "c3c3c3c3c3c3",
    "b2b2b2b2b2b2",
    'op.execute("ALTER TABLE items ALTER COLUMN label TYPE varchar(40)")',
    'op.execute("ALTER TABLE items ALTER COLUMN label TYPE text")',
)


def test_plan_shows_the_standby_lag_and_the_wal_of_a_rewrite(pair, make_component, run_cli):
    component = make_component(pair, [*REVISIONS, REWRITE])
    assert run_cli("init", config=component.config).exit_code == 0
    assert run_cli("upgrade", "b2b2b2b2b2b2", config=component.config).exit_code == 0
    pair.query("primary", "ANALYZE", component.database)
    result = run_cli("plan", config=component.config)
    assert result.exit_code == 0, result
    size = pair.query("primary", "SELECT pg_total_relation_size('items')", component.database)[0][0]
    rewrite = next(line for line in result.stdout.splitlines() if "rewrites the table" in line)
    assert "of WAL for the standbys" in rewrite, result.stdout
    assert f"replication: primary 127.0.0.1:{pair.primary.port}, 1 standby(s): walreceiver" in (
        result.stdout
    )
    as_json = run_cli("plan", "--json", config=component.config)
    [plan] = json.loads(as_json.stdout)
    [statement] = plan["revisions"][0]["statements"]
    assert statement["rewrites"] is True
    # About the table's size: what the plan reports for it, within a page of what the server says.
    size = pair.query("primary", "SELECT pg_total_relation_size('items')", component.database)
    assert statement["wal_bytes"] == plan["tables"][statement["table"]]["total_bytes"] > 0
    assert abs(statement["wal_bytes"] - size[0][0]) <= size[0][0] / 2
    assert plan["replication"]["standby"] is False
    assert len(plan["replication"]["standbys"]) == 1


def test_plan_on_the_standby_shows_its_replay_lag(pair, make_component, run_cli):
    component = make_component(pair)
    assert run_cli("init", config=component.config).exit_code == 0
    pair.wait_caught_up()
    on_standby = f"postgresql://{component.role}@127.0.0.1:{pair.standby.port}/"
    on_standby += f"{component.database}?target_session_attrs=standby"
    result = run_cli("--db-uri", on_standby, "plan", config=component.config)
    assert result.exit_code == 0, result
    assert f"replication: reading from a standby, 127.0.0.1:{pair.standby.port}: replay lag" in (
        result.stdout
    )
