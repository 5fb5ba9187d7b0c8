"""What alembic users type works as they expect; summaries say only what was read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manage_db.dao import throwaway
from manage_db.dao.connection import connect
from manage_db.models import Component
from manage_db.services import provisioning
from pgtest import admin_connection, demo_settings, throwaway_names, unique, with_db
from trees import make_tree

STEPS = [
    (
        f"{n}{n}" * 6,
        (f"{n - 1}{n - 1}" * 6) if n > 1 else None,
        f'op.execute("CREATE TABLE t{n} (id int)")',
        f'op.execute("DROP TABLE t{n}")',
    )
    for n in range(1, 4)
]
FAILING = ("f9f9f9f9f9f9", None, 'op.execute("INSERT INTO missing VALUES (1)")', "pass")


@pytest.fixture
def demo(tmp_path, write_config, pg_admin_uri, cleanup):
    """A config for one component of three revisions on throwaway names; returns the maker."""

    def make(revisions=STEPS):
        role, database = throwaway_names(cleanup, "t_habit")
        location = make_tree(tmp_path / unique("tree"), list(revisions), "alembic_version_h")
        return write_config(
            demo_settings(pg_admin_uri, role, database, location, "alembic_version_h")
        )

    return make


def _current(run_cli, config) -> str:
    return run_cli("current", config=config).stdout.strip()


def test_relative_revisions_and_base_need_no_double_dash(run_cli, demo):
    config = demo()
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", "+2", config=config).exit_code == 0
    assert _current(run_cli, config) == "demo: 222222222222"
    assert run_cli("downgrade", "-1", config=config).exit_code == 0
    assert _current(run_cli, config) == "demo: 111111111111"
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("downgrade", "base", config=config).exit_code == 0
    assert _current(run_cli, config) == "demo: base"


def test_summary_shows_a_dash_when_the_database_was_not_read(run_cli, demo):
    config = demo()
    init = run_cli("init", config=config)
    assert init.stdout.splitlines()[1].split()[:4] == ["demo", "-", "-", "ok"]
    assert run_cli("upgrade", config=config).exit_code == 0
    unknown = run_cli("upgrade", "deadbeef", config=config)
    assert unknown.exit_code == 6
    assert unknown.stdout.splitlines()[1].split()[:4] == ["demo", "-", "-", "failed"]
    again = run_cli("init", "--json", config=config)
    assert '"from": null' in again.stdout and "nothing to create" in again.stdout


def test_init_says_already_there_for_what_a_concurrent_run_made(
    pg_admin_uri, cleanup, monkeypatch, tmp_path
):
    role, database = throwaway_names(cleanup, "t_habit")
    with admin_connection(pg_admin_uri) as admin:
        throwaway.create_role(admin, role)
    # The other run created the role between this run's check and its CREATE ROLE.
    monkeypatch.setattr(provisioning.dao, "role_exists", lambda conn, name: False)
    component = Component("demo", tmp_path, database, role)
    actions = provisioning.provision_component(pg_admin_uri, component, password=None)
    assert actions == [f"role {role} already there", f"created database {database}"]
    connect(with_db(pg_admin_uri, database)).close()


def test_debug_prints_the_traceback_of_a_migration_failure(run_cli, demo):
    config = demo([FAILING])
    assert run_cli("init", config=config).exit_code == 0
    quiet = run_cli("upgrade", config=config)
    assert quiet.exit_code == 5 and "Traceback" not in quiet.stderr
    loud = run_cli("-d", "upgrade", config=config)
    assert loud.exit_code == 5
    assert "Traceback (most recent call last)" in loud.stderr
    assert 'relation "missing" does not exist' in loud.stderr


def test_downgrade_of_a_revision_without_a_downgrade_function_names_the_revision(run_cli, demo):
    config = demo()
    location = (
        next(
            line.split(": ", 1)[1]
            for line in config.read_text().splitlines()
            if "script_location" in line
        )
        .strip()
        .strip("'\"")
    )
    path = next(Path(location, "versions").glob(f"{STEPS[1][0]}_*.py"))
    path.write_text(path.read_text().split("\n\ndef downgrade():")[0] + "\n")
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", "+2", config=config).exit_code == 0
    done = run_cli("downgrade", "base", config=config)
    assert done.exit_code == 5, done
    assert done.stderr.strip().splitlines() == [
        f"wazo-manage-db: demo: revision {STEPS[1][0]} ({path}) has no downgrade() function; "
        f"database left at {STEPS[1][0]}"
    ]
    assert _current(run_cli, config) == f"demo: {STEPS[1][0]}"


PRINTING = [
    (
        "aaaaaaaaaaaa",
        None,
        'print("hello from upgrade")\nop.execute("CREATE TABLE t (id int)")',
        'print("hello from downgrade")\nop.execute("DROP TABLE t")',
    )
]


@pytest.mark.parametrize("command", [("upgrade",), ("downgrade", "base"), ("upgrade", "--sql")])
def test_what_a_revision_prints_goes_to_stderr_never_into_stdout(run_cli, demo, command):
    config = demo(PRINTING)
    assert run_cli("init", config=config).exit_code == 0
    if command[0] == "downgrade":
        assert run_cli("upgrade", config=config).exit_code == 0
    if command[-1] == "--sql":
        done = run_cli(*command, config=config)
        assert done.exit_code == 0, done
        assert "CREATE TABLE t" in done.stdout and "hello" not in done.stdout
        assert "hello from upgrade" in done.stderr
        return
    done = run_cli(*command, "--json", config=config)
    assert done.exit_code == 0, done
    assert json.loads(done.stdout)
    assert f"hello from {command[0]}" in done.stderr
