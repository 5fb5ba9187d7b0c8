"""Wrong passwords and missing servers: exit 4, one clear line, never a password or traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from manage_db.dao import throwaway
from manage_db.dao.cluster import ThrowawayCluster, free_port
from pgtest import admin_connection

PROBE_TREE = Path(__file__).resolve().parents[1] / "sandbox" / "fixtures" / "probe_tree"
WRONG_PASSWORD = "wrong-password-9f3b"
OWNER = "probe_owner"
OWNER_PASSWORD = "right-owner-password"
DATABASE = "probe"


@pytest.fixture
def scram_cluster() -> Iterator[ThrowawayCluster]:
    """A throwaway cluster where every login needs its SCRAM-SHA-256 password.

    It holds the role ``OWNER`` (password ``OWNER_PASSWORD``) owning the database ``DATABASE``.
    """
    with ThrowawayCluster(password_auth=True) as cluster:
        with admin_connection(cluster.admin_uri()) as admin:
            throwaway.create_role(admin, OWNER, OWNER_PASSWORD)
            throwaway.create_database(admin, DATABASE, OWNER)
        yield cluster


def _settings(db_uri: str, admin_uri: str) -> dict:
    return {
        "db_uri": db_uri,
        "admin_uri": admin_uri,
        "plugins": False,
        "server_wait": 2,
        "components": {
            "asterisk": {"enabled": False},
            "probe": {
                "script_location": str(PROBE_TREE),
                "version_table": "sandbox_probe_alembic_version",
            },
        },
    }


def _owner_uri(cluster: ThrowawayCluster, password: str) -> str:
    return cluster.uri(DATABASE, user=OWNER, password=password)


def _assert_one_clean_line(done, *secrets: str) -> str:
    """The command failed with exit 4 and said why in exactly one line on stderr."""
    assert done.exit_code == 4, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for secret in secrets:
        assert secret not in done.stdout + done.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["upgrade", "status"])
def test_wrong_owner_password_exits_4_naming_role_and_server(
    scram_cluster, write_config, run_cli, command
):
    config = write_config(
        _settings(_owner_uri(scram_cluster, WRONG_PASSWORD), scram_cluster.admin_uri())
    )

    done = run_cli(command, config=config, process=True)

    line = _assert_one_clean_line(done, WRONG_PASSWORD, OWNER_PASSWORD, scram_cluster.password)
    assert OWNER in line
    assert f"127.0.0.1:{scram_cluster.port}" in line


def test_right_owner_password_upgrades_then_reports_at_head(scram_cluster, write_config, run_cli):
    config = write_config(
        _settings(_owner_uri(scram_cluster, OWNER_PASSWORD), scram_cluster.admin_uri())
    )

    upgraded = run_cli("upgrade", config=config, process=True)
    status = run_cli("status", config=config, process=True)

    assert upgraded.exit_code == 0, upgraded.stdout + upgraded.stderr
    assert status.exit_code == 0, status.stdout + status.stderr
    assert "probe: at head at 2b3c4d5e6f7a" in status.stdout
    assert OWNER_PASSWORD not in upgraded.stdout + upgraded.stderr + status.stdout + status.stderr


def test_init_with_wrong_admin_password_exits_4(scram_cluster, write_config, run_cli):
    wrong_admin = scram_cluster.uri("postgres", user="postgres", password=WRONG_PASSWORD)
    config = write_config(_settings(_owner_uri(scram_cluster, OWNER_PASSWORD), wrong_admin))

    done = run_cli("init", config=config, process=True)

    line = _assert_one_clean_line(done, WRONG_PASSWORD, OWNER_PASSWORD, scram_cluster.password)
    assert "postgres" in line
    assert f"127.0.0.1:{scram_cluster.port}" in line


@pytest.mark.parametrize("command", ["init", "upgrade", "status"])
def test_unreachable_server_exits_4_with_a_clear_line(write_config, run_cli, command):
    port = free_port()  # nobody listens there
    config = write_config(
        _settings(
            f"postgresql://{OWNER}:{OWNER_PASSWORD}@127.0.0.1:{port}/{DATABASE}",
            f"postgresql://postgres:{WRONG_PASSWORD}@127.0.0.1:{port}/postgres",
        )
    )

    done = run_cli(command, config=config, process=True)

    line = _assert_one_clean_line(done, WRONG_PASSWORD, OWNER_PASSWORD)
    assert f"127.0.0.1:{port}" in line
