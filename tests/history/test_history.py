"""The applied history: what each run records, `log`, adoption, and the checks of status/upgrade."""

from __future__ import annotations

import getpass
import json
import socket

import psycopg2
import pytest
from history_trees import (
    HISTORY_TABLE,
    ONE,
    THREE,
    TWO,
    VERSION_TABLE,
    revision,
    setup_component,
)
from psycopg2 import sql

from manage_db import __version__
from pgtest import query, write_revision

ENVS = ["stock", "ours"]


def rows(owner, columns="revision, direction, outcome"):
    return query(owner, f"SELECT {columns} FROM {HISTORY_TABLE} ORDER BY id")


@pytest.fixture
def demo(tmp_path, write_config, pg_admin_uri, cleanup, run_cli):
    """Factory: (config, owner URI, tree) of an initialised component with these revisions."""

    def make(revisions, env="stock"):
        config, owner, location = setup_component(
            tmp_path, write_config, pg_admin_uri, cleanup, revisions, env
        )
        assert run_cli("init", config=config).exit_code == 0
        return config, owner, location

    return make


@pytest.mark.parametrize("env", ENVS)
def test_upgrade_records_each_revision_with_who_where_and_checksum(demo, run_cli, env):
    config, owner, _ = demo([ONE, TWO], env)
    assert run_cli("upgrade", config=config).exit_code == 0
    recorded = rows(
        owner,
        "revision, direction, outcome, db_role = current_user, os_user, host, tool_version, "
        "length(checksum), transactional, duration IS NOT NULL, error",
    )
    me, host = getpass.getuser(), socket.gethostname()
    assert recorded == [
        ("a1a1a1a1a1a1", "upgrade", "ok", True, me, host, __version__, 64, True, True, None),
        ("b2b2b2b2b2b2", "upgrade", "ok", True, me, host, __version__, 64, True, True, None),
    ]
    owners = query(
        owner,
        "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE relname = %s",
        HISTORY_TABLE,
    )
    assert owners == [(True,)]


@pytest.mark.parametrize("env", ENVS)
def test_branches_a_merge_and_a_slow_step_get_one_row_each_with_its_duration(demo, run_cli, env):
    # The ok row goes out with alembic's version-table write: an INSERT for the first revision
    # and for a second branch, an UPDATE, and a DELETE plus an UPDATE for the merge.
    slow = (
        "b2b2b2b2b2b2",
        "a1a1a1a1a1a1",
        'op.execute("SELECT pg_sleep(0.3)")',
        "pass",
    )
    side = revision("c3c3c3c3c3c3", "a1a1a1a1a1a1", "side")
    merge = ("d4d4d4d4d4d4", ("b2b2b2b2b2b2", "c3c3c3c3c3c3"), "pass", "pass")
    config, owner, _ = demo([ONE, slow, side, merge], env)
    assert run_cli("upgrade", config=config).exit_code == 0
    recorded = rows(owner, "revision, direction, outcome, extract(epoch FROM duration) >= 0.3")
    assert sorted(recorded) == [
        ("a1a1a1a1a1a1", "upgrade", "ok", False),
        ("b2b2b2b2b2b2", "upgrade", "ok", True),
        ("c3c3c3c3c3c3", "upgrade", "ok", False),
        ("d4d4d4d4d4d4", "upgrade", "ok", False),
    ]
    assert query(owner, f"SELECT version_num FROM {VERSION_TABLE}") == [("d4d4d4d4d4d4",)]
    assert run_cli("status", config=config).exit_code == 0


@pytest.mark.parametrize("env", ENVS)
def test_failed_revision_is_recorded_with_its_error_line(demo, run_cli, env):
    broken = (
        "b2b2b2b2b2b2",
        "a1a1a1a1a1a1",
        'op.execute("INSERT INTO missing VALUES (1)")',
        "pass",
    )
    config, owner, _ = demo([ONE, broken], env)
    assert run_cli("upgrade", config=config).exit_code == 5
    failed = query(
        owner, f"SELECT revision, outcome, error FROM {HISTORY_TABLE} WHERE outcome = 'failed'"
    )
    assert len(failed) == 1
    assert failed[0][:2] == ("b2b2b2b2b2b2", "failed")
    assert failed[0][2].startswith('UndefinedTable: relation "missing" does not exist')
    # The history never disagrees with the version table: what was rolled back is not "ok".
    applied = query(owner, f"SELECT revision FROM {HISTORY_TABLE} WHERE outcome = 'ok'")
    # One transaction per revision, whatever env.py asks: the first one stays, with its row.
    versions = query(owner, f"SELECT version_num FROM {VERSION_TABLE}")
    assert applied == [("a1a1a1a1a1a1",)] and versions == [("a1a1a1a1a1a1",)]


@pytest.mark.parametrize("env", ENVS)
def test_downgrade_and_stamp_are_recorded(demo, run_cli, env):
    config, owner, _ = demo([ONE, TWO], env)
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("downgrade", "a1a1a1a1a1a1", "--component", "demo", config=config).exit_code == 0
    assert run_cli("stamp", "b2b2b2b2b2b2", "--component", "demo", config=config).exit_code == 0
    assert rows(owner)[2:] == [
        ("b2b2b2b2b2b2", "downgrade", "ok"),
        ("b2b2b2b2b2b2", "stamp", "ok"),
    ]
    assert run_cli("status", config=config).exit_code == 0


def test_log_shows_the_history_newest_first_as_text_and_json(demo, run_cli):
    config, owner, _ = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    text = run_cli("log", config=config)
    assert text.exit_code == 0, text
    lines = text.stdout.splitlines()
    assert len(lines) == 2
    assert "upgrade b2b2b2b2b2b2 ok" in lines[0] and "upgrade a1a1a1a1a1a1 ok" in lines[1]
    assert lines[0].startswith("demo: ") and f"wazo-manage-db {__version__}" in lines[0]
    entries = json.loads(run_cli("log", "--json", "--component", "demo", config=config).stdout)
    assert [(e["revision"], e["direction"], e["outcome"]) for e in entries] == [
        ("b2b2b2b2b2b2", "upgrade", "ok"),
        ("a1a1a1a1a1a1", "upgrade", "ok"),
    ]
    checksum = query(owner, f"SELECT checksum FROM {HISTORY_TABLE} ORDER BY id DESC LIMIT 1")
    assert entries[0]["checksum"] == checksum[0][0]
    assert entries[0]["os_user"] == getpass.getuser() and entries[0]["duration"] >= 0
    assert len(json.loads(run_cli("log", "--json", "-n", "1", config=config).stdout)) == 1


def test_log_before_any_upgrade_says_so(demo, run_cli):
    config, _, _ = demo([ONE])
    result = run_cli("log", config=config)
    assert result.exit_code == 0
    assert result.stdout.strip() == "demo: no applied history yet"


@pytest.mark.parametrize("env", ENVS)
def test_database_upgraded_before_the_history_existed_is_adopted(demo, run_cli, env):
    config, owner, location = demo([ONE, TWO], env)
    assert run_cli("upgrade", config=config).exit_code == 0
    conn = psycopg2.connect(owner)
    with conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(HISTORY_TABLE)))
    conn.close()
    write_revision(location, *THREE)
    assert run_cli("upgrade", config=config).exit_code == 0
    assert rows(owner) == [
        ("a1a1a1a1a1a1", "adopt", "ok"),
        ("b2b2b2b2b2b2", "adopt", "ok"),
        ("c3c3c3c3c3c3", "upgrade", "ok"),
    ]
    # Adopted rows carry today's checksums: nothing is reported edited.
    assert run_cli("status", config=config).exit_code == 0


def test_upgrade_with_nothing_to_do_still_adopts(demo, run_cli, pg_admin_uri):
    config, owner, _ = demo([ONE])
    conn = psycopg2.connect(owner)
    with conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {VERSION_TABLE} (version_num varchar(32) PRIMARY KEY)")
        cur.execute(f"INSERT INTO {VERSION_TABLE} VALUES ('a1a1a1a1a1a1')")
        cur.execute("CREATE TABLE one (id int PRIMARY KEY)")
    conn.close()
    assert run_cli("upgrade", config=config).exit_code == 0
    assert rows(owner) == [("a1a1a1a1a1a1", "adopt", "ok")]


@pytest.mark.parametrize("env", ENVS)
def test_edited_applied_revision_fails_status_and_upgrade_until_repaired(demo, run_cli, env):
    config, owner, location = demo([ONE, TWO], env)
    assert run_cli("upgrade", config=config).exit_code == 0
    write_revision(location, *revision("b2b2b2b2b2b2", "a1a1a1a1a1a1", "other"))
    write_revision(location, *THREE)

    status = run_cli("status", config=config)
    assert status.exit_code == 8, status
    assert "b2b2b2b2b2b2 edited since it was applied" in status.stdout
    assert "a1a1a1a1a1a1" not in status.stdout.split(":", 2)[2]
    assert json.loads(run_cli("status", "--json", config=config).stdout)[0]["state"] == "error"

    before = rows(owner)
    upgrade = run_cli("upgrade", config=config)
    assert upgrade.exit_code == 8, upgrade
    line = upgrade.stderr.strip()
    assert "\n" not in line and "refusing to run: b2b2b2b2b2b2 edited" in line
    assert "repair --component demo REV" in line
    assert query(owner, "SELECT to_regclass('three')") == [(None,)]
    assert rows(owner) == before

    repaired = run_cli("repair", "b2b2", "--component", "demo", config=config)
    assert repaired.exit_code == 0, repaired
    assert repaired.stdout.strip() == "demo: b2b2b2b2b2b2: checksum recorded (was edited)"
    assert rows(owner)[-1] == ("b2b2b2b2b2b2", "repair", "ok")
    assert run_cli("status", config=config).exit_code == 3  # behind, no longer drifted
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("status", config=config).exit_code == 0


def test_reformatting_an_applied_revision_is_not_an_edit(demo, run_cli):
    config, _, location = demo([ONE])
    assert run_cli("upgrade", config=config).exit_code == 0
    path = location / "versions" / "a1a1a1a1a1a1_step.py"
    text = path.read_text().replace(
        "from alembic import op\n", "# reviewed\nfrom alembic import op\n\n"
    )
    path.write_text(
        text.replace('op.execute("CREATE', 'op.execute(\n        "CREATE').replace(
            'KEY)")', 'KEY)"\n    )'
        )
    )
    assert run_cli("status", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0


def test_applied_revision_missing_from_the_tree_fails_status(demo, run_cli):
    config, _, location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    (location / "versions" / "b2b2b2b2b2b2_step.py").unlink()
    status = run_cli("status", config=config)
    assert status.exit_code == 8
    assert "b2b2b2b2b2b2 applied but missing from the tree" in status.stdout
    assert "stamp --component demo REV" in status.stdout
    assert run_cli("upgrade", config=config).exit_code == 8
    assert run_cli("stamp", "a1a1a1a1a1a1", "--component", "demo", config=config).exit_code == 0
    assert run_cli("status", config=config).exit_code == 0


def test_repair_refuses_a_revision_that_is_not_applied(demo, run_cli, pg_admin_uri):
    config, owner, _ = demo([ONE, TWO])
    assert run_cli("upgrade", "a1a1a1a1a1a1", "--component", "demo", config=config).exit_code == 0
    result = run_cli("repair", "b2b2b2b2b2b2", "--component", "demo", config=config)
    assert result.exit_code == 6
    assert result.stderr.strip() == (
        "wazo-manage-db: demo: revision b2b2b2b2b2b2 is neither applied nor interrupted: "
        "nothing to repair"
    )
    unknown = run_cli("repair", "ffff", "--component", "demo", config=config)
    assert unknown.exit_code == 6 and "unknown revision 'ffff'" in unknown.stderr
    assert rows(owner) == [("a1a1a1a1a1a1", "upgrade", "ok")]
