"""Every command against a primary + standby pair, through URIs whose first host is the standby:
writes land on the primary (libpq picks it), the standby replays them, reads that ask for a
standby run there and say so, and a write that reaches a standby is refused in one line."""

from __future__ import annotations

import json
import signal
import time

import pytest
import yaml
from replication_pair import BOUND, REVISIONS, VERSION_TABLE

from pgtest import start_tool, with_db

# (arguments, exit code): each command a user runs, in an order that makes each meaningful.
TABLE = [
    (["init"], 0),
    (["upgrade"], 0),
    (["status"], 0),
    (["status", "--json"], 0),
    (["current"], 0),
    (["log"], 0),
    (["plan"], 0),
    (["audit"], 0),
    (["heads"], 0),
    (["history"], 0),
    (["downgrade", "-1"], 0),
    (["plan"], 0),
    (["stamp", "b2b2b2b2b2b2"], 0),
    (["stamp", "a1a1a1a1a1a1"], 0),
    (["upgrade"], 0),
    (["repair", "b2b2b2b2b2b2"], 0),
    (["verify"], 0),
    (["status"], 0),
]


def test_every_command_with_the_standby_first_in_the_uri(pair, make_component, run_cli):
    component = make_component(pair)
    seen = []
    for args, expected in TABLE:
        result = run_cli(*args, config=component.config)
        seen.append((args, result.exit_code))
        assert result.exit_code == expected, (args, result)
        assert "Traceback" not in result.stdout + result.stderr, (args, result)
        assert "hot standby" not in result.stderr, (args, result)
    assert [code for _, code in seen] == [code for _, code in TABLE]
    versions = pair.query("primary", f"SELECT version_num FROM {VERSION_TABLE}", component.database)
    assert versions == [("b2b2b2b2b2b2",)]


def test_status_json_on_the_primary_lists_its_standby_and_its_lag(pair, make_component, run_cli):
    component = make_component(pair)
    assert run_cli("init", config=component.config).exit_code == 0
    assert run_cli("upgrade", config=component.config).exit_code == 0
    result = run_cli("status", "--json", config=component.config)
    assert result.exit_code == 0, result
    [row] = json.loads(result.stdout)
    server = row["server"]
    assert (server["port"], server["standby"]) == (str(pair.primary.port), False)
    [standby] = server["standbys"]
    assert standby["state"] == "streaming"
    assert standby["replay_lag_bytes"] is not None and standby["replay_lag_bytes"] >= 0


WRITES = [["upgrade"], ["stamp", "a1a1a1a1a1a1"], ["repair", "a1a1a1a1a1a1"], ["downgrade", "base"]]


@pytest.mark.parametrize("command", WRITES)
def test_a_write_through_a_uri_that_accepts_a_standby_is_refused_naming_it(
    pair, make_component, run_cli, command
):
    component = make_component(pair)
    assert run_cli("init", config=component.config).exit_code == 0
    pair.wait_caught_up()
    standby_only = with_db(pair.standby.uri(), component.database, component.role)
    result = run_cli(
        "--db-uri", standby_only + "?target_session_attrs=any", *command, config=component.config
    )
    assert result.exit_code == 4, result
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"wazo-manage-db: 127.0.0.1:{pair.standby.port} is a standby (in recovery): writes need "
        f"the primary ({component.role}@127.0.0.1:{pair.standby.port}/{component.database})"
    ], result
    assert pair.query("primary", f"SELECT to_regclass('{VERSION_TABLE}')", component.database) == [
        (None,)
    ]


def test_init_with_only_the_standby_as_admin_is_refused_in_one_line(pair, make_component, run_cli):
    component = make_component(pair)
    result = run_cli("init", "--admin-uri", pair.standby.uri(), config=component.config)
    assert result.exit_code == 4, result
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"wazo-manage-db: no primary at postgres@127.0.0.1:{pair.standby.port}")
    assert "hot standby mode" in line
    assert pair.query("primary", f"SELECT 1 FROM pg_roles WHERE rolname = '{component.role}'") == []


def test_reads_that_ask_for_the_standby_run_there_and_say_so_with_the_lag(
    pair, make_component, run_cli
):
    component = make_component(pair)
    assert run_cli("init", config=component.config).exit_code == 0
    assert run_cli("upgrade", config=component.config).exit_code == 0
    pair.wait_caught_up()
    on_standby = with_db(pair.uri(), component.database, component.role)
    on_standby += "?target_session_attrs=standby"
    for command in (["status"], ["current"], ["log"], ["plan"], ["audit"]):
        result = run_cli("--db-uri", on_standby, *command, config=component.config, process=True)
        assert result.exit_code == 0, (command, result)
        assert "Traceback" not in result.stderr
        notice = f"reading from a standby, 127.0.0.1:{pair.standby.port}: replay lag "
        assert notice in result.stderr, (command, result)
    result = run_cli("--db-uri", on_standby, "status", "--json", config=component.config)
    [row] = json.loads(result.stdout)
    assert row["server"]["standby"] is True
    assert row["server"]["port"] == str(pair.standby.port)
    assert row["server"]["replay_lag_seconds"] is not None


SLEEPY = [
    *REVISIONS,
    (
        "c3c3c3c3c3c3",
        "b2b2b2b2b2b2",
        "op.execute(\"SELECT pg_sleep(coalesce(current_setting('demo.sleep', true), '0')::int)\")",
        "pass",
    ),
]


def test_sigterm_cancels_the_statement_on_the_primary_not_on_the_standby_listed_first(
    pair, make_component, run_cli
):
    component = make_component(pair, SLEEPY)
    assert run_cli("init", config=component.config).exit_code == 0
    pair.query("primary", f"ALTER DATABASE {component.database} SET demo.sleep = 60")
    run = start_tool("upgrade", config=component.config)
    sleeping = (
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND pid <> pg_backend_pid() AND position('pg_sleep' in query) > 0"
    )
    deadline = time.monotonic() + BOUND
    while pair.query("primary", sleeping, component.database) != [(1,)]:
        assert time.monotonic() < deadline and run.poll() is None, "the revision never slept"
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    try:
        _, err = run.communicate(timeout=BOUND)
    finally:
        run.kill()
    assert run.returncode == 143, err
    # Cancelled on the primary at once (the canceller reached it, not the standby listed first).
    assert pair.query("primary", sleeping, component.database) == [(0,)]
    versions = pair.query("primary", f"SELECT version_num FROM {VERSION_TABLE}", component.database)
    assert versions == [("b2b2b2b2b2b2",)]


@pytest.mark.parametrize("spelling", ["sqlalchemy2", "query"])
def test_alembic_db_uri_naming_both_servers_in_sqlalchemy_spellings(
    pair, make_component, run_cli, monkeypatch, spelling
):
    component = make_component(pair)
    assert run_cli("init", config=component.config).exit_code == 0
    standby, primary = f"127.0.0.1:{pair.standby.port}", f"127.0.0.1:{pair.primary.port}"
    base = f"postgresql+psycopg2://{component.role}@/{component.database}"
    if spelling == "sqlalchemy2":
        uri = f"{base}?host={standby}&host={primary}"
    else:
        uri = f"{base}?host=127.0.0.1,127.0.0.1&port={pair.standby.port},{pair.primary.port}"
    monkeypatch.setenv("ALEMBIC_DB_URI", uri)
    # Only the environment's URI leads to the servers: the file's points nowhere.
    settings = yaml.safe_load(component.config.read_text())
    settings["db_uri"] = "postgresql://nobody@127.0.0.1:1/nowhere"
    component.config.write_text(yaml.safe_dump(settings))
    for command in ("upgrade", "status"):
        result = run_cli(command, config=component.config)
        assert result.exit_code == 0, (command, result)
    versions = pair.query("primary", f"SELECT version_num FROM {VERSION_TABLE}", component.database)
    assert versions == [("b2b2b2b2b2b2",)]


def test_verify_refuses_a_standby_for_its_throwaway_databases(pair, make_component, run_cli):
    component = make_component(pair)
    standby_admin = pair.standby.uri() + "?target_session_attrs=any"
    result = run_cli("verify", "--admin-uri", standby_admin, config=component.config)
    assert result.exit_code == 4, result
    [line] = result.stderr.strip().splitlines()
    assert f"127.0.0.1:{pair.standby.port} is a standby (in recovery)" in line
    assert "Traceback" not in result.stdout + result.stderr


def test_a_component_on_another_server_named_by_both_hosts(pair, make_component, run_cli):
    component = make_component(pair)
    settings = yaml.safe_load(component.config.read_text())
    demo = settings["components"]["demo"]
    demo["uri"], demo["admin_uri"] = settings["db_uri"], settings["admin_uri"]
    settings["db_uri"] = "postgresql://nobody@127.0.0.1:1/nowhere"
    settings["admin_uri"] = "postgresql://nobody@127.0.0.1:1/postgres"
    component.config.write_text(yaml.safe_dump(settings))
    for command in ("init", "upgrade", "status"):
        result = run_cli(command, config=component.config)
        assert result.exit_code == 0, (command, result)
    versions = pair.query("primary", f"SELECT version_num FROM {VERSION_TABLE}", component.database)
    assert versions == [("b2b2b2b2b2b2",)]


def test_a_standby_listed_first_that_lacks_the_new_database_does_not_stop_the_run(
    pair, make_component, run_cli
):
    pair.replay(paused=True)
    try:
        component = make_component(pair)
        # init creates the database on the primary; the standby, paused, never sees it.
        for command in ("init", "upgrade", "status", "verify"):
            result = run_cli(command, config=component.config)
            assert result.exit_code == 0, (command, result)
        missing = f"SELECT 1 FROM pg_database WHERE datname = '{component.database}'"
        assert pair.query("standby", missing) == []
    finally:
        pair.replay(paused=False)
