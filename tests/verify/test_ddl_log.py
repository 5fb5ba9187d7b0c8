"""The event-trigger log: what it answers after data-only, plain DDL and undescribed commands."""

from __future__ import annotations

import psycopg2
import pytest

from manage_db.dao.connection import connect
from manage_db.dao.ddl_log import DdlLog
from manage_db.dao.throwaway import run_sql, throwaway_database
from pgtest import unique


@pytest.fixture
def logged(pg_admin_uri):
    """(log, run as the owner): a throwaway database with the DDL log installed."""
    with throwaway_database(pg_admin_uri) as database:
        admin = connect(database.admin_uri)
        log = DdlLog(admin)
        log.install()
        run_sql(database.owner_uri, "CREATE TABLE contact (id integer PRIMARY KEY, name text)")
        log.clear()
        try:
            yield log, lambda text: run_sql(database.owner_uri, text), database
        finally:
            admin.close()


def oid_of(database, name):
    connection = connect(database.admin_uri)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::regclass::oid", (name,))
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_data_only_step_logs_nothing(logged):
    log, run, _ = logged
    run("INSERT INTO contact VALUES (1, 'a'); UPDATE contact SET name = 'b'")
    changes = log.read()
    assert changes.none and not changes.units


def test_altered_table_is_read_again_with_its_indexes(logged):
    log, run, database = logged
    run("ALTER TABLE contact ALTER COLUMN name SET DEFAULT ''")
    changes = log.read()
    assert changes.everything is None
    assert ("r", oid_of(database, "public.contact")) in changes.units
    assert ("r", oid_of(database, "public.contact_pkey")) in changes.units


def test_dropped_trigger_brings_back_its_table(logged):
    log, run, database = logged
    run(
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
        "CREATE TRIGGER contact_touch BEFORE UPDATE ON contact "
        "FOR EACH ROW EXECUTE FUNCTION touch()"
    )
    log.read()
    run("DROP TRIGGER contact_touch ON contact")
    changes = log.read()
    assert changes.everything is None
    assert ("r", oid_of(database, "public.contact")) in changes.units


def test_failed_step_leaves_nothing_logged(logged):
    log, run, _ = logged
    with pytest.raises(psycopg2.Error):
        run("BEGIN; CREATE INDEX contact_name_idx ON contact (name); SELECT 1/0; COMMIT")
    assert log.read().none


@pytest.mark.parametrize(
    "statement",
    [
        "GRANT SELECT ON contact TO PUBLIC",
        "REVOKE ALL ON contact FROM PUBLIC",
        "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
        "CREATE SCHEMA reports",
    ],
)
def test_commands_without_an_object_list_ask_for_a_full_read(logged, statement):
    log, run, _ = logged
    run(statement)
    assert log.read().everything


def test_roles_this_database_does_not_name_leave_the_log_alone(logged, pg_admin_uri, cleanup):
    # Other jobs on a shared server create and drop roles all the time.
    log, _, _ = logged
    role = unique("t_verify_role")
    cleanup(role=role)
    run_sql(pg_admin_uri, f"CREATE ROLE {role}")
    assert log.read().none


def test_renaming_a_role_that_owns_an_object_asks_for_a_full_read(logged, pg_admin_uri, cleanup):
    log, _, database = logged
    role, renamed = unique("t_verify_role"), unique("t_verify_renamed")
    cleanup(role=role)
    cleanup(role=renamed)
    run_sql(pg_admin_uri, f"CREATE ROLE {role}")
    try:
        run_sql(database.admin_uri, f"ALTER TABLE contact OWNER TO {role}")
        log.read()  # the new owner joins the roles this database names
        assert log.read().none
        run_sql(pg_admin_uri, f"ALTER ROLE {role} RENAME TO {renamed}")
        changes = log.read()
        assert changes.everything and "roles" in changes.everything
        assert log.read().none  # the next step starts from the new roles
    finally:  # the role must own nothing when it is dropped
        run_sql(database.admin_uri, f'ALTER TABLE contact OWNER TO "{database.owner}"')
