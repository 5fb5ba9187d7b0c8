"""A revision's statements go out together (runtime.batching), and nothing a migration does sees
the difference: what it reads, what it sends through the driver, '%' in its SQL, autocommit
blocks, a failure halfway."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manage_db.dao.cluster import ThrowawayCluster
from pgtest import demo_settings, query, throwaway_names, with_db
from trees import make_tree

VERSION_TABLE = "alembic_version_batch"

HELD_THEN_READ = (
    "a1a1a1a1a1a1",
    None,
    """
    import sqlalchemy as sa
    op.create_table("held", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO held VALUES (1), (2)")
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM held")).scalar()
    op.execute(f"CREATE TABLE seen_{count} (id int)")
    """,
    'op.execute("DROP TABLE seen_2")\nop.drop_table("held")',
)
THROUGH_THE_DRIVER = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    """
    op.execute("CREATE TABLE raw (id int)")
    cursor = op.get_bind().connection.cursor()
    cursor.execute("INSERT INTO raw SELECT count(*) FROM held")
    """,
    'op.execute("DROP TABLE raw")',
)
PERCENT = (
    "c3c3c3c3c3c3",
    "b2b2b2b2b2b2",
    """
    import sqlalchemy as sa
    op.add_column("held", sa.Column("rate", sa.Text, server_default="50%"))
    op.execute("COMMENT ON TABLE held IS '100% held'")
    """,
    'op.execute("COMMENT ON TABLE held IS NULL")\nop.drop_column("held", "rate")',
)
AUTOCOMMIT = (
    "d4d4d4d4d4d4",
    "c3c3c3c3c3c3",
    """
    op.execute("ALTER TABLE held ADD COLUMN code int")
    with op.get_context().autocommit_block():
        op.create_index("held_code_ix", "held", ["code"], postgresql_concurrently=True)
    op.execute("UPDATE held SET code = id")
    """,
    'op.drop_index("held_code_ix", "held")\nop.execute("ALTER TABLE held DROP COLUMN code")',
)
FAILS_HALFWAY = (
    "e5e5e5e5e5e5",
    "d4d4d4d4d4d4",
    """
    op.execute("CREATE TABLE never (id int)")
    op.execute("INSERT INTO held (id) VALUES (1)")
    op.execute("CREATE TABLE never_either (id int)")
    """,
    "pass",
)

AFTER_THE_FAILURE = (
    "f6f6f6f6f6f6",
    "e5e5e5e5e5e5",
    'op.execute("CREATE TABLE after_failure (id int)")',
    "pass",
)


def component(run_cli, tmp_path, write_config, admin_uri, cleanup, revisions):
    role, database = throwaway_names(cleanup, "t_batch")
    location = make_tree(tmp_path / "tree", revisions, version_table=VERSION_TABLE)
    config = write_config(demo_settings(admin_uri, role, database, location, VERSION_TABLE))
    assert run_cli("init", config=config).exit_code == 0
    return config, with_db(admin_uri, database, role)


def test_held_statements_reach_the_server_before_what_the_migration_reads_or_sends_itself(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner = component(
        run_cli, tmp_path, write_config, pg_admin_uri, cleanup, [HELD_THEN_READ, THROUGH_THE_DRIVER]
    )
    done = run_cli("upgrade", config=config)
    assert done.exit_code == 0, done
    tables = {row[0] for row in query(owner, "SELECT tablename FROM pg_tables")}
    assert {"held", "seen_2", "raw"} <= tables
    assert query(owner, "SELECT id FROM raw") == [(2,)]


def test_percent_signs_and_an_autocommit_block_come_out_as_written(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner = component(
        run_cli,
        tmp_path,
        write_config,
        pg_admin_uri,
        cleanup,
        [HELD_THEN_READ, THROUGH_THE_DRIVER, PERCENT, AUTOCOMMIT],
    )
    done = run_cli("upgrade", config=config)
    assert done.exit_code == 0, done
    assert query(
        owner,
        "SELECT column_default, obj_description('held'::regclass) FROM information_schema.columns "
        "WHERE table_name = 'held' AND column_name = 'rate'",
    ) == [("'50%'::text", "100% held")]
    assert query(
        owner,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'held_code_ix'::regclass",
    ) == [(True,)]
    assert query(owner, "SELECT id, code FROM held ORDER BY id") == [(1, 1), (2, 2)]
    assert query(owner, f"SELECT version_num FROM {VERSION_TABLE}") == [("d4d4d4d4d4d4",)]
    # Back down and up again: the downgrades are batched the same way.
    assert run_cli("downgrade", "base", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    assert query(owner, "SELECT id, code FROM held ORDER BY id") == [(1, 1), (2, 2)]


def test_a_statement_failing_in_a_batch_fails_its_revision_and_rolls_all_of_it_back(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner = component(
        run_cli,
        tmp_path,
        write_config,
        pg_admin_uri,
        cleanup,
        [HELD_THEN_READ, THROUGH_THE_DRIVER, PERCENT, AUTOCOMMIT, FAILS_HALFWAY],
    )
    done = run_cli("upgrade", config=config)
    assert done.exit_code == 5
    assert done.stderr.strip().splitlines() == [
        "wazo-manage-db: demo: revision e5e5e5e5e5e5 failed: UniqueViolation: duplicate key "
        'value violates unique constraint "held_pkey"; database left at d4d4d4d4d4d4'
    ]
    tables = {row[0] for row in query(owner, "SELECT tablename FROM pg_tables")}
    assert not {"never", "never_either"} & tables
    assert query(owner, f"SELECT version_num FROM {VERSION_TABLE}") == [("d4d4d4d4d4d4",)]
    assert query(
        owner,
        f"SELECT revision, outcome FROM {VERSION_TABLE}_history WHERE outcome <> 'ok'",
    ) == [("e5e5e5e5e5e5", "failed")]


def test_a_failing_revision_with_more_after_it_is_named_and_nothing_after_it_runs(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner = component(
        run_cli,
        tmp_path,
        write_config,
        pg_admin_uri,
        cleanup,
        [HELD_THEN_READ, THROUGH_THE_DRIVER, PERCENT, AUTOCOMMIT, FAILS_HALFWAY, AFTER_THE_FAILURE],
    )
    done = run_cli("upgrade", config=config)
    assert done.exit_code == 5
    assert done.stderr.strip().splitlines() == [
        "wazo-manage-db: demo: revision e5e5e5e5e5e5 failed: UniqueViolation: duplicate key "
        'value violates unique constraint "held_pkey"; database left at d4d4d4d4d4d4'
    ]
    tables = {row[0] for row in query(owner, "SELECT tablename FROM pg_tables")}
    assert not {"never", "never_either", "after_failure"} & tables
    assert query(
        owner,
        f"SELECT revision, outcome FROM {VERSION_TABLE}_history "
        "WHERE revision IN ('e5e5e5e5e5e5', 'f6f6f6f6f6f6')",
    ) == [("e5e5e5e5e5e5", "failed")]
    # The database is behind the tree: status says so.
    assert run_cli("status", config=config).exit_code == 3


@pytest.fixture
def logging_cluster():
    """A throwaway cluster logging every message it receives, with the session's pid."""
    with ThrowawayCluster(
        server_settings=["log_statement = 'all'", "log_line_prefix = '[%p] '"]
    ) as cluster:
        yield cluster


def test_each_revision_costs_two_messages_to_the_server(
    logging_cluster, run_cli, tmp_path, write_config
):
    steps = [
        (f"{n:012x}", f"{n - 1:012x}" if n > 1 else None, body, "pass")
        for n, body in enumerate(
            [
                'op.execute("CREATE TABLE t1 (id int)")\nop.execute("CREATE INDEX ON t1 (id)")',
                'op.execute("ALTER TABLE t1 ADD COLUMN a int")',
                'op.execute("COMMENT ON TABLE t1 IS NULL")\nop.execute("CREATE TABLE t2 (id int)")',
            ],
            start=1,
        )
    ]
    location = make_tree(tmp_path / "tree", steps, version_table=VERSION_TABLE)
    config = write_config(
        {
            "db_uri": logging_cluster.uri("probe", user="probe_owner"),
            "admin_uri": logging_cluster.admin_uri(),
            "plugins": False,
            "components": {
                "asterisk": {"enabled": False},
                "demo": {"script_location": str(location), "version_table": VERSION_TABLE},
            },
        }
    )
    assert run_cli("init", config=config).exit_code == 0
    log = Path(logging_cluster.log_file)
    before = len(log.read_text(errors="replace"))
    assert run_cli("upgrade", config=config).exit_code == 0
    messages = _messages_of_the_session_that_ran(log.read_text(errors="replace")[before:], "t1")
    # Per revision: its statements, history row and version write in one message; its COMMIT
    # with the BEGIN of the next one in another.
    first = next(i for i, text in enumerate(messages) if "CREATE TABLE t1" in text)
    run = messages[first : first + 6]
    assert [text.startswith("COMMIT") for text in run] == [False, True] * 3, messages
    assert all(f"{VERSION_TABLE}_history" in text for text in run[::2]), run
    assert set(run[1::2]) == {"COMMIT; BEGIN"}
    assert (
        run[0].index("CREATE TABLE t1")
        < run[0].index("CREATE INDEX")
        < run[0].index(f"INSERT INTO {VERSION_TABLE} ")
    )
    assert "COMMIT" not in " ".join(messages[first + 6 :])


def _messages_of_the_session_that_ran(log: str, marker: str) -> list[str]:
    """The statements the server logged for the backend that ran ``marker``, in order."""
    entries = re.findall(r"^\[(\d+)\] LOG:  statement: (.*?)(?=^\[\d+\] |\Z)", log, re.M | re.S)
    pids = {pid for pid, text in entries if f"CREATE TABLE {marker}" in text}
    assert len(pids) == 1, entries
    return [" ".join(text.split()) for pid, text in entries if pid in pids]
