"""squash: a baseline that proves itself, the tree untouched when it cannot, and the floor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from history_trees import VERSION_TABLE, make_tree, setup_component
from squash_trees import generated_history, rev_id, tree_files

from manage_db.dao.revision_files import load_graph
from manage_db.sql.parse import blank_psql_script, parse_statements
from pgtest import query

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"GrantStmt", "GrantRoleStmt", "AlterOwnerStmt", "CreateExtensionStmt"}


def _statement_kinds(text: str) -> set[str]:
    return {s.node.node_type for s in parse_statements(blank_psql_script(text))}


@pytest.fixture
def generated(tmp_path, write_config, pg_admin_uri, cleanup, run_cli):
    """(config, owner URI, tree) of a 120-revision history, initialised, not upgraded."""
    config, owner_uri, location = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, generated_history(120)
    )
    assert run_cli("init", config=config).exit_code == 0
    return config, owner_uri, location


def test_generated_history_squash_proves_itself_and_regenerates_the_tenant_uuid(generated, run_cli):
    config, owner_uri, location = generated
    done = run_cli("squash", "--component", "demo", "--to", rev_id(110), "--json", config=config)
    assert done.exit_code == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)["squashes"][0]
    assert report["proved"] and report["written"]
    assert {v["kind"] for v in report["per_install"]} == {"uuid", "timestamp"}
    graph = load_graph(location, use_cache=False)
    assert sorted(graph.revisions) == sorted([rev_id(i) for i in range(110, 120)])
    assert graph.revisions[rev_id(110)].down_revisions == ()
    assert graph.revisions[rev_id(111)].down_revisions == (rev_id(110),)
    dump = Path(report["dump_file"])
    assert dump.parent == location / "versions"
    text = dump.read_text(encoding="utf-8")
    assert "\r" not in text and "@@per_install_1@@" in text
    assert not _statement_kinds(text) & FORBIDDEN
    assert VERSION_TABLE not in text
    floor = (location / "squashed-revisions.txt").read_text()
    assert all(f"{rev_id(i)} {rev_id(110)}" in floor for i in range(110))
    # Each install gets its own tenant UUID, referenced where the history referenced it.
    assert run_cli("upgrade", config=config).exit_code == 0
    tenant = query(owner_uri, "SELECT uuid::text FROM tenant")[0][0]
    assert tenant not in text
    names = {row[0] for row in query(owner_uri, "SELECT name FROM grp")}
    assert names == {f"all-users-{tenant}", "sip:it's 50% done"}
    assert query(owner_uri, "SELECT count(*) FROM item_3 WHERE tenant_uuid = %s", tenant)[0][0] > 0


def test_platform_tree_squash_proves_itself(tmp_path, platform_config, run_cli, write_config):
    shutil.copytree(ROOT / "alembic", tmp_path / "tree" / "alembic")
    shutil.copy(ROOT / "alembic.ini", tmp_path / "tree" / "alembic.ini")
    location = tmp_path / "tree" / "alembic"
    import yaml

    settings = yaml.safe_load(platform_config.read_text())
    settings["components"] = {"asterisk": {"script_location": str(location)}}
    config = write_config(settings, name="squash.yml")
    done = run_cli("squash", "--to", "e6f05a2c7b18", "--release", "26.10", config=config)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "squashed 6 revisions into baseline e6f05a2c7b18 (release 26.10)" in done.stdout
    assert sorted(p.name for p in (location / "sql").iterdir()) == ["asterisk_baseline_26.10.sql"]
    manifest = (location / "released-revisions.txt").read_text()
    assert "3f1c0e5a9b27" not in manifest and "sql/asterisk_baseline_26.08.sql" not in manifest
    assert "e6f05a2c7b18" in manifest and "sql/asterisk_baseline_26.10.sql" in manifest
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    linted = run_cli("lint", str(location), config=config)
    assert linted.exit_code == 0
    assert "e6f05a2c7b18" not in linted.stdout  # no finding on the baseline
    assert "asterisk_baseline_26.10" not in linted.stdout  # nor on its dump


@pytest.mark.parametrize(
    "lossy",
    [
        ('op.execute("GRANT SELECT ON tenant TO PUBLIC")', "acl"),
        ('op.execute("CREATE EXTENSION IF NOT EXISTS hstore")', "extension hstore"),
        ('op.execute("UPDATE grp SET name = md5(random()::text) WHERE id = 2")', "grp.name"),
    ],
    ids=["grant", "extension", "random"],
)
def test_squash_that_loses_something_exits_1_and_leaves_the_tree_as_it_was(
    tmp_path, write_config, pg_admin_uri, cleanup, run_cli, lossy
):
    statement, named = lossy
    history = generated_history(6)
    history.append((rev_id(6), rev_id(5), statement, "pass"))
    history.append((rev_id(7), rev_id(6), 'op.execute("CREATE TABLE later (id int)")', "pass"))
    config, _, location = setup_component(tmp_path, write_config, pg_admin_uri, cleanup, history)
    before = tree_files(location)
    done = run_cli("squash", "--component", "demo", "--to", rev_id(6), config=config)
    assert done.exit_code == 1
    assert "NOT proved, tree unchanged" in done.stdout
    assert named in done.stdout
    assert tree_files(location) == before


def test_database_older_than_the_baseline_is_refused_in_one_line(generated, run_cli):
    config, owner_uri, location = generated
    older = rev_id(50)
    assert run_cli("upgrade", older, "--component", "demo", config=config).exit_code == 0
    history = f"SELECT count(*) FROM {VERSION_TABLE}_history"
    rows = query(owner_uri, history)
    done = run_cli(
        "squash",
        "--component",
        "demo",
        "--to",
        rev_id(110),
        "--release",
        "wazo-26.12",
        config=config,
    )
    assert done.exit_code == 0, done.stdout
    expected = (
        f"demo: the database is at revision {older}, older than the baseline {rev_id(110)} "
        "(release wazo-26.12) that replaced it: upgrade it first with a release before "
        "wazo-26.12; nothing was changed"
    )
    for command, process in (("status", False), ("upgrade", False), ("status", True)):
        done = run_cli(command, config=config, process=process)
        assert done.exit_code == 8, done.stdout + done.stderr
        assert expected in done.stdout + done.stderr
    assert query(owner_uri, f"SELECT version_num FROM {VERSION_TABLE}") == [(older,)]
    assert query(owner_uri, history) == rows


def test_database_past_the_baseline_stays_clean_after_the_squash(generated, run_cli):
    config, owner_uri, _ = generated
    assert run_cli("upgrade", rev_id(115), "--component", "demo", config=config).exit_code == 0
    done = run_cli("squash", "--component", "demo", "--to", rev_id(110), config=config)
    assert done.exit_code == 0, done.stdout
    assert run_cli("status", config=config).exit_code == 3  # behind, not edited
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("status", config=config).exit_code == 0
    assert query(owner_uri, f"SELECT version_num FROM {VERSION_TABLE}") == [(rev_id(119),)]


def test_squash_to_an_unknown_revision_or_cutting_a_branch_exits_6(
    tmp_path, write_config, pg_admin_uri, cleanup, run_cli
):
    history = generated_history(5)
    history.append(("b0b0b0b0b0b0", rev_id(2), 'op.execute("CREATE TABLE side (id int)")', "pass"))
    config, _, location = setup_component(tmp_path, write_config, pg_admin_uri, cleanup, history)
    before = tree_files(location)
    done = run_cli("squash", "--component", "demo", "--to", "ffffffffffff", config=config)
    assert done.exit_code == 6
    assert "unknown revision 'ffffffffffff'" in done.stderr
    done = run_cli("squash", "--component", "demo", "--to", rev_id(3), config=config)
    assert done.exit_code == 6
    assert f"revision b0b0b0b0b0b0 builds on {rev_id(2)}, which a squash to {rev_id(3)}" in (
        done.stderr
    )
    assert tree_files(location) == before


def test_the_same_history_gives_the_same_dump(tmp_path, platform_config, run_cli, write_config):
    import yaml

    dumps = []
    for copy in ("one", "two"):
        shutil.copytree(ROOT / "alembic", tmp_path / copy / "alembic")
        location = tmp_path / copy / "alembic"
        settings = yaml.safe_load(platform_config.read_text())
        settings["components"] = {"asterisk": {"script_location": str(location)}}
        config = write_config(settings, name=f"{copy}.yml")
        assert run_cli("squash", "--to", "81d4b3e9f2a0", config=config).exit_code == 0
        dumps.append((location / "sql" / "asterisk_baseline_81d4b3e9f2a0.sql").read_bytes())
    assert dumps[0] == dumps[1]


def test_schema_confined_component_squash_leaves_the_schema_to_init(
    tmp_path, write_config, pg_admin_uri, cleanup, run_cli
):
    from pgtest import demo_settings, throwaway_names, with_db

    role, database = throwaway_names(cleanup, "t_sqschema")
    location = make_tree(tmp_path / "tree", generated_history(8))
    settings = demo_settings(pg_admin_uri, role, database, location, VERSION_TABLE, schema="sq")
    config = write_config(settings)
    done = run_cli("squash", "--component", "demo", "--to", rev_id(6), config=config)
    assert done.exit_code == 0, done.stdout + done.stderr
    text = next((location / "versions").glob("*.sql")).read_text()
    assert "CreateSchemaStmt" not in _statement_kinds(text)
    assert "CREATE TABLE sq.tenant" in text
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    owner_uri = with_db(pg_admin_uri, database, role)
    assert query(owner_uri, "SELECT count(*) FROM sq.grp")[0][0] == 2


def test_a_history_that_fails_to_build_or_no_component_named_changes_nothing(
    tmp_path, write_config, pg_admin_uri, cleanup, run_cli
):
    history = generated_history(4)
    history.append((rev_id(4), rev_id(3), 'op.execute("SELECT * FROM nowhere")', "pass"))
    config, _, location = setup_component(tmp_path, write_config, pg_admin_uri, cleanup, history)
    before = tree_files(location)
    done = run_cli("squash", "--component", "demo", "--to", rev_id(4), config=config)
    assert done.exit_code == 5
    assert f"revision {rev_id(4)} failed: UndefinedTable" in done.stderr
    import yaml

    settings = yaml.safe_load(config.read_text())
    settings["components"]["other"] = {
        **settings["components"]["demo"],
        "version_table": "alembic_version_other",
    }
    two = write_config(settings, name="two.yml")
    done = run_cli("squash", "--to", rev_id(3), config=two)
    assert done.exit_code == 2
    assert "squash: name one component with --component" in done.stderr
    assert tree_files(location) == before


def test_an_env_py_that_fails_is_named_and_changes_nothing(
    tmp_path, write_config, pg_admin_uri, cleanup, run_cli
):
    config, _, location = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, generated_history(3)
    )
    env = location / "env.py"
    env.write_text('raise RuntimeError("no settings here")\n' + env.read_text())
    before = tree_files(location)
    done = run_cli("squash", "--component", "demo", "--to", rev_id(2), config=config)
    assert done.exit_code == 5
    assert done.stderr.strip() == (
        f"wazo-manage-db: demo: {location}: revision env.py failed: RuntimeError: no settings here"
    )
    assert tree_files(location) == before
