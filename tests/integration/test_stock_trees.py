"""Stock daemon trees, unchanged: their own env.py, alembic.ini, daemon packages and SQL baselines.

The five fixture trees (tests/fixtures/daemons) each stand for one env.py variant of the real
daemons; they run here as wazo-manage-db components in one shared database, from a separate
process with the daemons' packages on PYTHONPATH, as a package's postinst would run them.
"""

from __future__ import annotations

import json
import logging

import pytest
import yaml
from psycopg2.extensions import parse_dsn

from manage_db.errors import MigrationFailed
from manage_db.models import Component
from manage_db.services import migration
from pgtest import admin_execute, query, run_tool, server_settings, throwaway_names, with_db
from trees import DAEMON_PACKAGES, FIXTURES, make_tree

DAEMONS = {
    "auth": "alembic_version_auth",
    "call_logd": "call_logd_alembic_version",
    "chatd": "chatd_alembic_version",
    "dird": "alembic_version_dird",
    "webhookd": "alembic_version_webhookd",
}
HEADS = {
    "auth": "e4a9c3d27f15",
    "call_logd": "3a2b1c0d9e87",
    "chatd": "7d1a0e5c3b62",
    "dird": "9d8c7b6a5f43",
    "webhookd": "a1b2c3d4e5f6",
}


def run_daemon_tool(config, *args):
    """wazo-manage-db in its own process, the daemons' packages installed (on PYTHONPATH)."""
    return run_tool(*args, config=config, pythonpath=[DAEMON_PACKAGES])


@pytest.fixture
def shared_database(pg_admin_uri, cleanup, write_config, tmp_path):
    """A config with the five daemon trees as components of one database and one owner role."""
    role, database = throwaway_names(cleanup, "t_daemons")
    components = {
        name: {
            "script_location": str(FIXTURES / name / "alembic"),
            "version_table": table,
            **({"extensions": ["uuid-ossp"]} if name in ("auth", "call_logd") else {}),
        }
        for name, table in DAEMONS.items()
    }
    config = write_config(
        {
            **server_settings(pg_admin_uri, role, database, "secret", **components),
            "log_level": "info",
        }
    )
    return config, role, with_db(pg_admin_uri, database), tmp_path / "wazo-manage-db.log"


def test_five_stock_trees_share_one_database_and_reach_head(shared_database):
    config, role, database, log_file = shared_database

    for command in ("init", "upgrade", "status", "audit"):
        done = run_daemon_tool(config, command)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        # The daemons' logging sections (console, alembic at INFO) were not applied.
        assert "[alembic" not in done.stderr, done.stderr

    for name, table in DAEMONS.items():
        assert query(database, f"SELECT version_num FROM {table}") == [(HEADS[name],)]
    assert query(database, "SELECT obj_description('auth_user'::regclass)") == [
        ("Users of the platform's authentication daemon",)
    ]
    not_owned = query(
        database,
        "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> %s "
        "UNION ALL SELECT t.typname, pg_get_userbyid(t.typowner) FROM pg_type t "
        "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' "
        "AND t.typtype = 'e' AND pg_get_userbyid(t.typowner) <> %s "
        "UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
        "AND p.prokind = 'f' AND p.proname LIKE 'auth_%%' AND pg_get_userbyid(p.proowner) <> %s",
        role,
        role,
        role,
    )
    assert not_owned == []

    status = json.loads(run_daemon_tool(config, "status", "--json").stdout)
    assert {row["component"]: row["state"] for row in status} == dict.fromkeys(DAEMONS, "at head")

    # wazo-manage-db's own log file kept its handler and level through the daemons' env.py files.
    log = log_file.read_text()
    for name, head in HEADS.items():
        assert f"{name}: upgrade {head}" in log
    assert "(DEBUG)" not in log
    before = len(log)
    assert run_daemon_tool(config, "status").returncode == 0
    assert len(log_file.read_text()) >= before


@pytest.mark.parametrize(
    "name",
    [
        "auth",
        "call_logd",
        "chatd",
        "dird",
        "webhookd",
    ],
)
def test_each_stock_tree_verifies(shared_database, name):
    config, _, _, _ = shared_database
    assert run_daemon_tool(config, "init", "--component", name).returncode == 0
    done = run_daemon_tool(config, "verify", "--component", name)
    assert done.returncode == 0, (done.stdout, done.stderr)
    if name in ("auth", "call_logd"):  # squashed baselines whose downgrade() is `pass`
        assert "1 not round-tripped" in done.stdout, done.stdout


def test_offline_sql_of_a_stock_tree_renders_without_a_database(shared_database):
    config, _, _, _ = shared_database
    done = run_daemon_tool(config, "upgrade", "--sql", "--component", "webhookd")
    assert done.returncode == 0, done.stderr
    assert "CREATE TABLE webhookd_subscription" in done.stdout
    assert "INSERT INTO alembic_version_webhookd" in done.stdout


def test_version_table_other_than_env_py_declares_is_one_line(shared_database, write_config):
    config, _, _, _ = shared_database
    settings = yaml.safe_load(config.read_text())
    settings["components"] = {
        "asterisk": {"enabled": False},
        "dird": {
            "script_location": str(FIXTURES / "dird" / "alembic"),
            "version_table": "dird_version",
        },
    }
    config.write_text(yaml.safe_dump(settings))
    assert run_daemon_tool(config, "init").returncode == 0
    done = run_daemon_tool(config, "upgrade")
    assert done.returncode == 6, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"wazo-manage-db: dird: {FIXTURES / 'dird' / 'alembic'}/env.py uses version table "
        "'alembic_version_dird' but the component is configured with 'dird_version'"
    ]


def test_failing_third_revision_leaves_the_first_two_applied(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    role, database = throwaway_names(cleanup, "t_demo")
    tree = make_tree(
        tmp_path / "stock",
        [
            ("a1000000000a", None, 'op.execute("CREATE TABLE first_one (id int)")', "pass"),
            (
                "b2000000000b",
                "a1000000000a",
                'op.execute("CREATE TABLE second_one (id int)")',
                "pass",
            ),
            (
                "c3000000000c",
                "b2000000000b",
                'op.execute("INSERT INTO missing VALUES (1)")',
                "pass",
            ),
        ],
        version_table="alembic_version_stock",
    )
    stock = {"script_location": str(tree), "version_table": "alembic_version_stock"}
    config = write_config(server_settings(pg_admin_uri, role, database, stock=stock))
    assert run_cli("init", config=config).exit_code == 0

    result = run_cli("upgrade", config=config)

    assert result.exit_code == 5
    assert result.stderr.strip().splitlines() == [
        'wazo-manage-db: stock: revision c3000000000c failed: UndefinedTable: relation "missing" '
        "does not exist; database left at b2000000000b"
    ]
    uri = with_db(pg_admin_uri, database)
    assert query(uri, "SELECT version_num FROM alembic_version_stock") == [("b2000000000b",)]
    assert query(
        uri, "SELECT relname FROM pg_class WHERE relname IN ('first_one', 'second_one') ORDER BY 1"
    ) == [("first_one",), ("second_one",)]
    summary = result.stdout.splitlines()[1]
    assert summary.split()[:4] == ["stock", "base", "b2000000000b", "failed"]


class RecordingListener:
    """A listener as the applied history will be: it writes in each step's own transaction."""

    def __init__(self):
        self.calls = []

    def step_started(self, revision, direction, connection):
        self.calls.append(("started", revision, direction))

    def step_applied(self, revision, direction, connection):
        self.calls.append(("applied", revision, direction))
        with connection.cursor() as cur:
            cur.execute("INSERT INTO step_log VALUES (%s, %s)", (revision, direction))

    def step_failed(self, revision, direction, error):
        self.calls.append(("failed", revision, direction))


def test_listeners_hear_each_step_inside_its_transaction(throwaway_db, tmp_path):
    uri = throwaway_db()
    database = parse_dsn(uri)["dbname"]
    admin_execute(uri, "CREATE TABLE step_log (revision text, direction text)")
    tree = make_tree(
        tmp_path / "stock",
        [
            ("a1000000000a", None, 'op.execute("CREATE TABLE first_one (id int)")', "pass"),
            ("b2000000000b", "a1000000000a", 'op.execute("SELECT 1")', "pass"),
            (
                "c3000000000c",
                "b2000000000b",
                'op.execute("INSERT INTO missing VALUES (1)")',
                "pass",
            ),
        ],
    )
    component = Component("stock", tree, database, "postgres")
    listener = RecordingListener()

    with pytest.raises(MigrationFailed, match="revision c3000000000c failed"):
        migration.upgrade(component, uri, server_wait=0.0, listeners=[listener])

    assert listener.calls == [
        ("started", "a1000000000a", "upgrade"),
        ("applied", "a1000000000a", "upgrade"),
        ("started", "b2000000000b", "upgrade"),
        ("applied", "b2000000000b", "upgrade"),
        ("started", "c3000000000c", "upgrade"),
        ("failed", "c3000000000c", "upgrade"),
    ]
    assert query(uri, "SELECT * FROM step_log") == [
        ("a1000000000a", "upgrade"),
        ("b2000000000b", "upgrade"),
    ]

    listener.calls.clear()
    migration.single_step(component, uri, "downgrade", "a1000000000a", listeners=[listener])
    migration.single_step(component, uri, "stamp", "b2000000000b", listeners=[listener])
    assert listener.calls == [
        ("started", "b2000000000b", "downgrade"),
        ("applied", "b2000000000b", "downgrade"),
        ("applied", "b2000000000b", "stamp"),
    ]


def test_daemon_logging_config_leaves_ours_untouched_and_no_session_behind(
    pg_admin_uri, throwaway_db, tmp_path, monkeypatch
):
    from manage_db.runtime.adapter import MigrationTree

    uri = throwaway_db()
    database = parse_dsn(uri)["dbname"]
    ours = logging.getLogger("manage_db")
    handler = logging.FileHandler(tmp_path / "ours.log")
    ours.addHandler(handler)
    monkeypatch.setattr(ours, "level", logging.INFO)
    root_handlers = list(logging.getLogger().handlers)

    class DuringTheRun:
        def step_started(self, revision, direction, connection):
            logging.getLogger("manage_db.services.migration").info("running %s", revision)

        def step_applied(self, revision, direction, connection):
            pass

        def step_failed(self, revision, direction, error):
            pass

    component = Component(
        "dird", FIXTURES / "dird" / "alembic", database, "postgres", "alembic_version_dird"
    )
    try:
        # dird's env.py calls fileConfig(config.config_file_name) unconditionally.
        tree = MigrationTree.load(component, "postgresql+psycopg2://" + uri.split("://", 1)[1])
        tree.upgrade("heads", [DuringTheRun()])
    finally:
        ours.removeHandler(handler)
        handler.close()

    assert logging.getLogger().handlers == root_handlers
    assert ours.handlers == [] and not ours.disabled and ours.level == logging.INFO
    assert (tmp_path / "ours.log").read_text().splitlines() == [
        "running 5e6f7a8b9c01",
        "running 9d8c7b6a5f43",
    ]
    assert query(
        pg_admin_uri, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", database
    ) == [(0,)]
