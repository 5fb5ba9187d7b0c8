"""What a revision means on the server is what it means under plain alembic, statement batching
or not: each idiom that manages its own transaction runs through ``wazo-manage-db upgrade`` and
through ``alembic upgrade head`` (same tree, same env.py, two fresh databases of one owner), and
both databases and version tables must end up the same.

The tree's env.py is dird's with ``transaction_per_migration=True`` (what wazo-manage-db holds
every env.py to), so plain alembic runs each revision in its own transaction too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from manage_db.dao.connection import connect
from manage_db.dao.snapshot import take_snapshot
from manage_db.services.schema_diff import diff_snapshots
from pgtest import admin_execute, demo_settings, query, throwaway_names, unique, with_db
from trees import make_tree

VERSION_TABLE = "alembic_version_idiom"
ENUM_TABLE = (
    "0a0a0a0a0a01",
    None,
    """
    op.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
    op.execute("CREATE TABLE feeling (id serial PRIMARY KEY, mood mood)")
    op.execute("INSERT INTO feeling (mood) VALUES ('calm')")
    """,
    'op.execute("DROP TABLE feeling")\nop.execute("DROP TYPE mood")',
)

IDIOMS = {
    "commit, then a new enum label, then its use": """
        op.execute("COMMIT")
        op.execute("ALTER TYPE mood ADD VALUE 'away'")
        op.execute("UPDATE feeling SET mood = 'away'")
        op.execute("INSERT INTO feeling (mood) VALUES ('away')")
        """,
    "an autocommit block": """
        op.execute("ALTER TABLE feeling ADD COLUMN note text")
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE mood ADD VALUE 'away'")
            op.create_index("feeling_note_ix", "feeling", ["note"], postgresql_concurrently=True)
        op.execute("UPDATE feeling SET mood = 'away', note = 'after the block'")
        """,
    "a savepoint rolled back to": """
        op.execute("CREATE TABLE kept (id int)")
        op.execute("SAVEPOINT before_trial")
        op.execute("CREATE TABLE trial (id int)")
        op.execute("INSERT INTO trial VALUES (1)")
        op.execute("ROLLBACK TO SAVEPOINT before_trial")
        op.execute("INSERT INTO kept VALUES (2)")
        op.execute("RELEASE SAVEPOINT before_trial")
        op.execute("INSERT INTO kept VALUES (3)")
        """,
    "a failure caught inside a savepoint": """
        import sqlalchemy as sa
        op.execute("CREATE TABLE kept (id int)")
        try:
            with op.get_bind().begin_nested():
                op.execute("CREATE TABLE missing_type (id no_such_type)")
                op.execute("INSERT INTO kept VALUES (1)")
        except sa.exc.ProgrammingError:
            op.execute("INSERT INTO kept VALUES (2)")
        op.execute("INSERT INTO kept VALUES (3)")
        """,
    "a failure caught, then a rollback": """
        import sqlalchemy as sa
        try:
            op.execute("INSERT INTO feeling (mood) VALUES ('no such label')")
        except sa.exc.DataError:
            op.execute("ROLLBACK")
        op.execute("CREATE TABLE after_rollback (id int)")
        """,
    "a driver cursor": """
        op.execute("CREATE TABLE counted (n int)")
        op.execute("INSERT INTO feeling (mood) VALUES ('busy')")
        cursor = op.get_bind().connection.cursor()
        cursor.execute("INSERT INTO counted SELECT count(*) FROM feeling")
        op.execute("INSERT INTO counted SELECT count(*) + 10 FROM feeling")
        """,
    "set local": """
        op.execute("CREATE SCHEMA side")
        op.execute("SET LOCAL search_path TO side")
        op.execute("CREATE TABLE placed (id int)")
        op.execute("SET LOCAL search_path TO public")
        op.execute("CREATE TABLE placed_public (id int)")
        """,
    "a do block": """
        op.execute('''
            DO $body$
            BEGIN
                CREATE TABLE from_block (id int);
                INSERT INTO from_block VALUES (1);
                IF (SELECT count(*) FROM feeling) = 1 THEN
                    INSERT INTO from_block VALUES (2);
                END IF;
            END
            $body$;
        ''')
        op.execute("INSERT INTO from_block SELECT max(id) + 1 FROM from_block")
        """,
    "commit, then concurrently": """
        op.execute("COMMIT")
        op.execute("CREATE INDEX CONCURRENTLY feeling_mood_ix ON feeling (mood)")
        op.execute("CREATE TABLE after_concurrently (id int)")
        """,
}

# A revision after the idiom: the runtime must be back to one transaction per revision.
AFTER = (
    "0a0a0a0a0a03",
    "0a0a0a0a0a02",
    'op.execute("CREATE TABLE after_idiom (id int)")\n'
    'op.execute("INSERT INTO after_idiom VALUES (1)")',
    'op.execute("DROP TABLE after_idiom")',
)


def plain_alembic(tree_root: Path, uri: str) -> subprocess.CompletedProcess:
    """``alembic upgrade head`` in the tree's directory, its env.py reading ALEMBIC_DB_URI."""
    return subprocess.run(
        [sys.executable, "-c", "from alembic.config import main; main()", "upgrade", "head"],
        cwd=tree_root,
        env={"ALEMBIC_DB_URI": uri.replace("postgresql://", "postgresql+psycopg2://", 1)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(uri: str):
    connection = connect(uri)
    try:
        return take_snapshot(
            connection,
            exclude_tables=[VERSION_TABLE, f"{VERSION_TABLE}_history"],
            with_rows=True,
        )
    finally:
        connection.close()


@pytest.mark.parametrize("idiom", sorted(IDIOMS))
def test_an_idiom_gives_the_database_plain_alembic_gives(
    idiom, run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    revisions = [ENUM_TABLE, ("0a0a0a0a0a02", "0a0a0a0a0a01", IDIOMS[idiom], "pass"), AFTER]
    location = make_tree(tmp_path / "tree", revisions, version_table=VERSION_TABLE)
    env = (location / "env.py").read_text()
    per_revision = env.replace(
        "version_table=VERSION_TABLE,",
        "version_table=VERSION_TABLE, transaction_per_migration=True,",
    )
    assert per_revision != env
    (location / "env.py").write_text(per_revision)
    role, database = throwaway_names(cleanup, "t_idiom")
    config = write_config(demo_settings(pg_admin_uri, role, database, location, VERSION_TABLE))
    assert run_cli("init", config=config).exit_code == 0
    theirs = unique("t_idiom_alembic")
    cleanup(database=theirs)
    admin_execute(pg_admin_uri, f'CREATE DATABASE "{theirs}" OWNER "{role}"')
    ours_uri, theirs_uri = (
        with_db(pg_admin_uri, database, role),
        with_db(pg_admin_uri, theirs, role),
    )

    alembic = plain_alembic(location.parent, theirs_uri)
    assert alembic.returncode == 0, alembic.stderr
    done = run_cli("upgrade", config=config)
    assert done.exit_code == 0, done

    differences = diff_snapshots(snapshot(theirs_uri), snapshot(ours_uri))
    # Our history table's sequence is ours alone.
    assert [d for d in differences if not d.name.startswith(f"public.{VERSION_TABLE}")] == []
    version = f"SELECT version_num FROM {VERSION_TABLE}"
    assert query(ours_uri, version) == query(theirs_uri, version) == [("0a0a0a0a0a03",)]
    assert query(
        ours_uri, f"SELECT revision, outcome FROM {VERSION_TABLE}_history ORDER BY revision"
    ) == [(revision, "ok") for revision in ("0a0a0a0a0a01", "0a0a0a0a0a02", "0a0a0a0a0a03")]
