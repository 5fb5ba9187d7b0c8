"""Which statements statement batching may join with others (runtime.shared_message)."""

from __future__ import annotations

import pytest

from manage_db.runtime.shared_message import may_share_message

SHAREABLE = [
    "CREATE TABLE t (id int)",
    "ALTER TABLE t ADD COLUMN note text DEFAULT 'COMMIT; ROLLBACK'",
    'CREATE TABLE "commit" (id int)',
    "INSERT INTO t VALUES (1); UPDATE t SET id = 2;",
    "COMMENT ON TABLE t IS E'it''s \\' COMMIT; here'",
    "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; COMMIT; RETURN 1; END $body$ LANGUAGE sql",
    "-- COMMIT\nDROP TABLE t",
    "/* BEGIN /* nested */ COMMIT */ CREATE INDEX t_ix ON t (id)",
    "SET LOCAL search_path TO side",
    "SET lock_timeout = '1s'",
    "ALTER TYPE mood RENAME VALUE 'calm' TO 'quiet'",
    "WITH moved AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM moved",
    "",
]
ALONE = [
    "COMMIT",
    "commit",
    "BEGIN",
    "START TRANSACTION",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT s",
    "RELEASE SAVEPOINT s",
    "ROLLBACK TO SAVEPOINT s",
    "PREPARE TRANSACTION 'x'",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "CREATE TABLE t (id int); COMMIT; ALTER TYPE mood ADD VALUE 'x'",
    "ALTER TYPE mood ADD VALUE 'away'",
    "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'away' AFTER 'calm'",
    "CREATE INDEX CONCURRENTLY t_ix ON t (id)",
    "CREATE UNIQUE INDEX CONCURRENTLY t_ix ON t (id)",
    "DROP INDEX CONCURRENTLY t_ix",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY v",
    "REINDEX TABLE t",
    "VACUUM t",
    "CLUSTER t USING t_ix",
    "CREATE DATABASE d",
    "DROP DATABASE d",
    "ALTER DATABASE d SET search_path TO x",
    "CREATE TABLESPACE s LOCATION '/x'",
    "ALTER SYSTEM SET work_mem = '1MB'",
    "DO $$ BEGIN COMMIT; END $$",
    "CALL refresh_all()",
    "COPY t FROM STDIN",
    "DISCARD ALL",
    "DECLARE c CURSOR FOR SELECT 1",
    "SELECT 'unterminated",
    'CREATE TABLE "unterminated (id int)',
    "CREATE TABLE t (id int) /* unterminated",
    "SELECT $tag$ unterminated",
]


@pytest.mark.parametrize("sql", SHAREABLE)
def test_ddl_and_dml_inside_the_transaction_may_share_a_message(sql):
    assert may_share_message(sql)


@pytest.mark.parametrize("sql", ALONE)
def test_transaction_control_and_what_must_run_alone_are_sent_alone(sql):
    assert not may_share_message(sql)
