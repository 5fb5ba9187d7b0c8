"""Any legal identifier works as a component's schema; no password reaches a message, a log or
the server; the log file is not world-readable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from manage_db.dao.cluster import ThrowawayCluster
from pgtest import admin_execute, demo_settings, query, throwaway_names, with_db
from trees import make_tree

TABLES = (
    "t0t0t0t0t0t0",
    None,
    'op.execute("CREATE TABLE users (id serial PRIMARY KEY, name text)")\n'
    'op.execute("CREATE INDEX users_name ON users (name)")',
    'op.execute("DROP TABLE users")',
)


def _schema_component(tmp_path, write_config, pg_admin_uri, cleanup, schema: str):
    role, database = throwaway_names(cleanup, "t_schema")
    location = make_tree(tmp_path / "tree", [TABLES], "alembic_version_s")
    config = write_config(
        demo_settings(pg_admin_uri, role, database, location, "alembic_version_s", schema=schema)
    )
    return config, with_db(pg_admin_uri, database), role


def _objects_by_schema(db_uri: str) -> dict[str, set[str]]:
    rows = query(
        db_uri,
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
    )
    found: dict[str, set[str]] = {}
    for schema, name in rows:
        found.setdefault(schema, set()).add(name)
    return found


@pytest.mark.parametrize(
    "schema", ["App Sch,public", "App_Sch", "s -c statement_timeout=1", 'we"ird\\ one']
)
def test_every_object_of_a_component_lands_in_its_schema(
    schema, run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, db_uri, _ = _schema_component(tmp_path, write_config, pg_admin_uri, cleanup, schema)
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    objects = _objects_by_schema(db_uri)
    assert objects == {
        schema: {
            "users",
            "users_pkey",
            "users_name",
            "users_id_seq",
            "alembic_version_s",
            "alembic_version_s_pkc",
            "alembic_version_s_history",
            "alembic_version_s_history_pkey",
            "alembic_version_s_history_id_seq",
        }
    }
    status = run_cli("status", config=config)
    assert status.exit_code == 0, status
    assert run_cli("audit", config=config).stdout.strip() == "demo: clean"


def test_audit_reports_what_the_owner_made_outside_its_schema(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, db_uri, role = _schema_component(
        tmp_path, write_config, pg_admin_uri, cleanup, "App Sch,public"
    )
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    admin_execute(
        db_uri,
        "CREATE TABLE public.stray (id int)",
        sql.SQL("ALTER TABLE public.stray OWNER TO {}").format(sql.Identifier(role)),
    )
    audit = run_cli("audit", config=config)
    assert audit.exit_code == 1
    assert "demo: table public.stray: outside schema App Sch,public" in audit.stdout


def test_the_log_file_is_not_world_readable(run_cli, tmp_path, write_config):
    log = tmp_path / "private.log"
    config = write_config({"log_file": str(log), "plugins": False})
    run_cli("heads", config=config)
    assert log.exists()
    assert stat.S_IMODE(os.stat(log).st_mode) & stat.S_IRWXO == 0


def test_a_password_on_the_command_line_gets_a_warning_naming_password_file(run_cli, write_config):
    config = write_config({"plugins": False})
    done = run_cli("--db-uri", "postgresql://u:pw-on-cli@127.0.0.1:1/db", "heads", config=config)
    warnings = [line for line in done.stderr.splitlines() if "password_file" in line]
    assert len(warnings) == 1 and warnings[0].startswith("wazo-manage-db: warning: ")
    assert "pw-on-cli" not in done.stderr + done.stdout


OWNER_PASSWORD = "Plain-Text-Owner-pw-31d9"


@pytest.fixture
def logging_cluster():
    """A throwaway cluster asking SCRAM passwords and logging every statement it runs."""
    with ThrowawayCluster(
        password_auth=True, server_settings=["log_statement = 'all'", "log_min_messages = info"]
    ) as cluster:
        yield cluster


def test_init_sends_a_scram_verifier_never_the_plaintext(
    logging_cluster, run_cli, tmp_path, write_config
):
    password_file = tmp_path / "owner-password"
    password_file.write_text(OWNER_PASSWORD + "\n")
    location = make_tree(tmp_path / "tree", [TABLES], "alembic_version_s")
    config = write_config(
        {
            "db_uri": logging_cluster.uri("probe", user="probe_owner"),
            "admin_uri": logging_cluster.admin_uri(),
            "plugins": False,
            "components": {
                "asterisk": {"enabled": False},
                "demo": {
                    "script_location": str(location),
                    "password_file": str(password_file),
                    "version_table": "alembic_version_s",
                },
            },
        }
    )
    init = run_cli("init", config=config)
    assert init.exit_code == 0, init
    assert "created role probe_owner" in init.stdout
    assert run_cli("upgrade", config=config).exit_code == 0
    # The owner logs in with its password: the verifier is the real one.
    psycopg2.connect(logging_cluster.uri("probe", "probe_owner", OWNER_PASSWORD)).close()
    server_log = Path(logging_cluster.log_file).read_text(errors="replace")
    assert "CREATE ROLE" in server_log and "SCRAM-SHA-256$" in server_log
    assert OWNER_PASSWORD not in server_log
    assert OWNER_PASSWORD not in (tmp_path / "wazo-manage-db.log").read_text()


def test_verify_round_trips_a_component_in_an_odd_schema(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, _, _ = _schema_component(
        tmp_path, write_config, pg_admin_uri, cleanup, "App Sch,public"
    )
    done = run_cli("verify", config=config)
    assert done.exit_code == 0, done
    assert "demo: clean, 1/1 revisions checked" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_as_log_file_keeps_its_mode(run_cli, tmp_path, write_config):
    # A private twin of /dev/null (same device numbers): the real one must never be touched.
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(null, 0o666)
    config = write_config({"log_file": str(null), "plugins": False})
    run_cli("heads", config=config)
    assert stat.S_IMODE(os.stat(null).st_mode) == 0o666
