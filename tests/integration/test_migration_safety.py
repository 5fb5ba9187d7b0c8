"""A failing migration, a broken file, two upgrades at once: the database stays consistent."""

from __future__ import annotations

import psycopg2

from pgtest import demo_settings, query, run_tool, start_tool, throwaway_names, with_db
from trees import make_tree


def setup_component(tmp_path, write_config, pg_admin_uri, cleanup, revisions, **extra):
    role, database = throwaway_names(cleanup, "t_demo")
    location = make_tree(tmp_path / "tree", revisions, version_table="alembic_version_demo")
    config = write_config(
        demo_settings(pg_admin_uri, role, database, location, "alembic_version_demo", **extra)
    )
    return config, with_db(pg_admin_uri, database, role), location


GOOD = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE one (id int PRIMARY KEY)")',
    'op.execute("DROP TABLE one")',
)
HALF = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    'op.execute("CREATE TABLE two (id int)")\nop.execute("INSERT INTO missing VALUES (1)")',
    'op.execute("DROP TABLE two")',
)
AFTER = (
    "c3c3c3c3c3c3",
    "b2b2b2b2b2b2",
    'op.execute("CREATE TABLE three (id int)")',
    'op.execute("DROP TABLE three")',
)


def test_failing_migration_stops_at_last_good_revision_and_names_it(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner, _ = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [GOOD, HALF, AFTER]
    )
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 5
    assert result.stderr.strip().splitlines() == [
        'wazo-manage-db: demo: revision b2b2b2b2b2b2 failed: UndefinedTable: relation "missing" '
        "does not exist; database left at a1a1a1a1a1a1"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert query(owner, "SELECT version_num FROM alembic_version_demo") == [("a1a1a1a1a1a1",)]
    tables = {
        r[0] for r in query(owner, "SELECT tablename FROM pg_tables WHERE schemaname='public'")
    }
    assert tables == {
        "one",
        "alembic_version_demo",
        "alembic_version_demo_history",
    }  # "two" rolled back
    status = run_cli("status", config=config)
    assert status.exit_code == 3


def test_python_error_in_a_migration_names_revision(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    raising = ("b2b2b2b2b2b2", "a1a1a1a1a1a1", 'raise RuntimeError("boom")', "pass")
    config, owner, _ = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [GOOD, raising]
    )
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 5
    assert result.stderr.strip() == (
        "wazo-manage-db: demo: revision b2b2b2b2b2b2 failed: RuntimeError: boom; "
        "database left at a1a1a1a1a1a1"
    )


def test_syntax_error_in_a_migration_file_names_the_file(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    on_good = (
        "c3c3c3c3c3c3",
        "a1a1a1a1a1a1",
        'op.execute("CREATE TABLE three (id int)")',
        'op.execute("DROP TABLE three")',
    )
    config, owner, location = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [GOOD, on_good]
    )
    broken = location / "versions" / "c3c3c3c3c3c3_step.py"
    broken.write_text(broken.read_text().replace("def upgrade():", "def upgrade(:"))
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 6
    line = result.stderr.strip()
    assert line.startswith(f"wazo-manage-db: {broken}:")
    assert "syntax error" in line and "\n" not in line
    assert query(owner, "SELECT to_regclass('alembic_version_demo')") == [(None,)]
    assert query(owner, "SELECT to_regclass('alembic_version_demo_history')") == [(None,)]


def test_database_at_revision_unknown_to_tree_is_refused(
    run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    config, owner, _ = setup_component(tmp_path, write_config, pg_admin_uri, cleanup, [GOOD])
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    conn = psycopg2.connect(owner)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE alembic_version_demo SET version_num = 'feedfacefeed'")
    conn.close()
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 8
    assert "feedfacefeed applied but missing from the tree" in result.stderr


def test_two_upgrades_at_once_both_succeed_and_apply_each_revision_once(
    tmp_path, write_config, pg_admin_uri, cleanup
):
    slow = (
        "a1a1a1a1a1a1",
        None,
        'op.execute("CREATE TABLE applied (rev text)")\n'
        "op.execute(\"INSERT INTO applied VALUES ('a1')\")\n"
        'op.execute("SELECT pg_sleep(1.5)")',
        'op.execute("DROP TABLE applied")',
    )
    second = (
        "b2b2b2b2b2b2",
        "a1a1a1a1a1a1",
        "op.execute(\"INSERT INTO applied VALUES ('b2')\")",
        "op.execute(\"DELETE FROM applied WHERE rev = 'b2'\")",
    )
    config, owner, _ = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [slow, second]
    )
    assert run_tool("init", config=config).returncode == 0
    runs = [start_tool("upgrade", config=config) for _ in range(2)]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in runs]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert sorted(r[0] for r in query(owner, "SELECT rev FROM applied")) == ["a1", "b2"]
    assert sum("already at target" in out for _, out, _ in outcomes) == 1


def test_two_inits_at_once_both_succeed(tmp_path, write_config, pg_admin_uri, cleanup):
    config, owner, _ = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [GOOD], extensions=["hstore", "pgcrypto"]
    )
    runs = [start_tool("init", config=config) for _ in range(3)]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in runs]
    assert [code for code, _, _ in outcomes] == [0, 0, 0], outcomes
    assert {r[0] for r in query(owner, "SELECT extname FROM pg_extension")} >= {
        "hstore",
        "pgcrypto",
    }
