"""A component confined to a schema calls the functions of the extensions it declares (created by
init in public, on its search_path after its own schema); what it creates stays in its schema."""

from __future__ import annotations

import pytest

from pgtest import demo_settings, query, throwaway_names, with_db
from trees import make_tree

USES_AN_EXTENSION = (
    "e0e0e0e0e0e0",
    None,
    'op.execute("CREATE TABLE things (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), n int)")\n'
    'op.execute("INSERT INTO things (n) VALUES (1)")',
    'op.execute("DROP TABLE things")',
)


@pytest.mark.parametrize("schema", ["App Sch,public", "chatd"])
def test_schema_component_calls_its_extensions_functions_and_keeps_its_objects(
    schema, run_cli, tmp_path, write_config, pg_admin_uri, cleanup
):
    role, database = throwaway_names(cleanup, "t_ext")
    location = make_tree(tmp_path / "tree", [USES_AN_EXTENSION], "alembic_version_x")
    config = write_config(
        demo_settings(
            pg_admin_uri,
            role,
            database,
            location,
            "alembic_version_x",
            schema=schema,
            extensions=["uuid-ossp"],
        )
    )
    assert run_cli("init", config=config).exit_code == 0
    upgrade = run_cli("upgrade", config=config)
    assert upgrade.exit_code == 0, upgrade
    db_uri = with_db(pg_admin_uri, database)
    assert query(
        db_uri,
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relname = 'things'",
    ) == [(schema,)]
    assert query(db_uri, "SELECT count(*) FROM pg_extension WHERE extname = 'uuid-ossp'") == [(1,)]
    for command in ("status", "verify"):
        result = run_cli(command, config=config)
        assert result.exit_code == 0, (command, result)
    assert run_cli("audit", config=config).stdout.strip() == "demo: clean"
