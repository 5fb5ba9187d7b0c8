"""audit on a live database: wrong owners and explicit grants are findings."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest

from pgtest import admin_execute, with_db

TREE = Path(__file__).resolve().parent.parent / "fixtures" / "verify" / "clean"


@pytest.fixture
def component_db(throwaway_role, throwaway_db):
    """A database owned by a fresh role, with two tables and uuid-ossp; (role, database URI)."""
    role = throwaway_role("t_audit")
    uri = throwaway_db(owner=role)
    admin_execute(uri, 'CREATE EXTENSION "uuid-ossp"')
    conn = psycopg2.connect(with_db(uri, psycopg2.extensions.parse_dsn(uri)["dbname"], role))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE users (id serial PRIMARY KEY, email text)")
        cursor.execute("CREATE TABLE lines (id serial PRIMARY KEY)")
    conn.close()
    return role, uri


@pytest.fixture
def audit(component_db, pg_admin_uri, write_config, run_cli):
    """Run `wazo-manage-db audit --json` on the component; (exit code, findings)."""
    role, uri = component_db
    database = psycopg2.extensions.parse_dsn(uri)["dbname"]
    config = write_config(
        {
            "db_uri": with_db(pg_admin_uri, database, role),
            "admin_uri": pg_admin_uri,
            "plugins": False,
            "components": {
                "app": {
                    "script_location": str(TREE),
                    "database": database,
                    "owner": role,
                    "version_table": "alembic_version_fixture",
                }
            },
        }
    )

    def run():
        result = run_cli("audit", "--component", "app", "--json", config=config)
        assert result.exit_code in (0, 1), result
        return result.exit_code, json.loads(result.stdout)["findings"]

    return run


def test_database_created_by_its_owner_is_clean(audit):
    assert audit() == (0, [])


def test_grant_to_public_and_foreign_owner_are_both_reported(component_db, audit):
    role, uri = component_db
    admin_execute(uri, "GRANT SELECT ON users TO PUBLIC", "ALTER TABLE lines OWNER TO postgres")
    code, findings = audit()
    assert code == 1
    found = {(f["object"], f["problem"]): f for f in findings}
    # ALTER TABLE ... OWNER TO also hands over the serial sequence the table owns.
    assert set(found) == {
        ("table public.users", "acl"),
        ("table public.lines", "owner"),
        ("sequence public.lines_id_seq", "owner"),
    }
    assert found[("table public.users", "acl")]["detail"] == f"r granted to PUBLIC by {role}"
    assert found[("table public.users", "acl")]["owner"] == role
    assert found[("table public.lines", "owner")]["owner"] == "postgres"


def test_column_grant_is_reported(component_db, audit):
    role, uri = component_db
    admin_execute(uri, "GRANT UPDATE (email) ON users TO PUBLIC")
    code, findings = audit()
    assert code == 1
    assert [f["object"] for f in findings] == ["column public.users.email"]


def test_parse_acl_reads_public_and_quoted_roles():
    from manage_db.services.audit import parse_acl

    assert parse_acl('{a=arwdDxt/a,=r/a,"we, them"=w/a}') == [
        ("a", "arwdDxt", "a"),
        ("", "r", "a"),
        ("we, them", "w", "a"),
    ]
