"""After an upgrade: one database_upgraded event per upgraded component on the platform's bus."""

from __future__ import annotations

import time

import pytest
from bus_broker import BROKER
from plan_fixture import plan_component

from pgtest import query, throwaway_names, with_db


def _platform_and_people(pg_admin_uri, cleanup, write_config, tmp_path, bus):
    """The platform tree (infos.uuid) plus the 'people' daemon tree in its own database."""
    role, database = throwaway_names(cleanup, "t_asterisk")
    _, people = plan_component(pg_admin_uri, cleanup, write_config, tmp_path)
    config = write_config(
        {
            "db_uri": with_db(pg_admin_uri, database, role, "secret"),
            "admin_uri": pg_admin_uri,
            "plugins": False,
            "components": {
                "people": {
                    "script_location": str(people["location"]),
                    "database": people["database"],
                    "owner": people["role"],
                    "password": "secret",
                    "version_table": "chatd_alembic_version",
                },
            },
            "bus": bus,
        }
    )
    return config, with_db(pg_admin_uri, database)


def _received(consumer, expected: int, wait: float = 5.0):
    deadline = time.monotonic() + wait
    messages = consumer.received()
    while len(messages) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        messages += consumer.received()
    time.sleep(0.2)  # anything more than expected would have arrived by now
    return messages + consumer.received()


def test_each_upgraded_component_publishes_one_event_with_headers_and_payload(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path, consumer
):
    bus = {"enabled": True, **BROKER, "exchange_name": consumer.exchange_name}
    config, platform_uri = _platform_and_people(pg_admin_uri, cleanup, write_config, tmp_path, bus)
    assert run_cli("init", config=config).exit_code == 0

    result = run_cli("upgrade", config=config)

    assert result.exit_code == 0, result
    messages = _received(consumer, 2)
    assert sorted(h["component"] for h, _ in messages) == ["asterisk", "people"]
    [platform_uuid] = query(platform_uri, "SELECT uuid::text FROM infos")[0]
    for headers, body in messages:
        assert headers["name"] == body["name"] == "database_upgraded"
        assert headers["origin_uuid"] == body["origin_uuid"] == platform_uuid
        assert headers["timestamp"] == body["timestamp"]
        assert headers["required_acl"] == body["required_acl"] == "events.database_upgraded"
        assert body["data"]["component"] == headers["component"]
        assert body["data"]["from_revisions"] == []
        assert body["data"]["duration"] >= 0
    people = next(b["data"] for h, b in messages if h["component"] == "people")
    assert people["to_revisions"] == ["b5_token"]
    assert people["revisions_applied"] == [
        "b1_baseline",
        "b2_email_not_null",
        "b3_email_unique",
        "b4_tenant_fk",
        "b5_token",
    ]

    again = run_cli("upgrade", config=config)

    assert again.exit_code == 0, again
    assert _received(consumer, 0, wait=0.5) == []


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
        ({"port": 9, "password": "bus-secret"}, "127.0.0.1:9"),
        ({"password": "bus-secret"}, "127.0.0.1:5672"),  # the broker refuses the credentials
    ],
    ids=["down", "refuses"],
)
def test_broker_down_or_refusing_warns_once_and_the_upgrade_succeeds(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path, broken, where
):
    bus = {"enabled": True, **BROKER, **broken}
    config, _ = _platform_and_people(pg_admin_uri, cleanup, write_config, tmp_path, bus)
    assert run_cli("init", config=config).exit_code == 0

    result = run_cli("upgrade", config=config)

    assert result.exit_code == 0, result
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, result
    assert warnings[0].startswith("wazo-manage-db: warning: cannot publish database_upgraded")
    assert where in warnings[0]
    assert "bus-secret" not in result.stdout + result.stderr
    log = (tmp_path / "wazo-manage-db.log").read_text()
    assert "cannot publish database_upgraded" in log


def test_bus_disabled_by_default_publishes_nothing(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path, consumer
):
    config, _ = _platform_and_people(
        pg_admin_uri, cleanup, write_config, tmp_path, {"exchange_name": consumer.exchange_name}
    )
    assert run_cli("init", config=config).exit_code == 0

    assert run_cli("upgrade", config=config).exit_code == 0
    assert _received(consumer, 0, wait=0.5) == []


def test_misspelt_bus_key_is_a_configuration_error(run_cli, write_config):
    config = write_config({"plugins": False, "bus": {"enabeld": True}})

    result = run_cli("upgrade", config=config)

    assert result.exit_code == 2, result
    assert "unknown key 'bus.enabeld'" in result.stderr


def test_broker_that_accepts_but_never_answers_is_given_up_after_connect_timeout(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel accepts the connection; nobody ever speaks AMQP on it
    try:
        bus = {"enabled": True, **BROKER, "port": silent.getsockname()[1], "connect_timeout": 0.5}
        config, _ = _platform_and_people(pg_admin_uri, cleanup, write_config, tmp_path, bus)
        assert run_cli("init", config=config).exit_code == 0

        result = run_cli("upgrade", config=config)
    finally:
        silent.close()

    assert result.exit_code == 0, result
    [warning] = [line for line in result.stderr.splitlines() if "warning" in line]
    assert "cannot publish database_upgraded" in warning and "timed out" in warning
