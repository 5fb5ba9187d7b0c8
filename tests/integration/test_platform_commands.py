"""init / upgrade / status / stamp / downgrade of the platform tree on the real server."""

from __future__ import annotations

import json
import subprocess

import pytest

from manage_db.dao.revision_files import load_graph
from pgtest import REPO, query, with_db

HEAD = load_graph(REPO / "alembic").heads()[0]


def owner_uri(pg_admin_uri, names):
    return with_db(pg_admin_uri, names["database"], names["role"], "secret")


def pg_dump_schema(uri):
    return subprocess.run(
        ["pg_dump", "-s", "--restrict-key=wazomanagedbtest", uri],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_init_upgrade_status_bring_platform_to_head(
    run_cli, platform_config, platform_names, pg_admin_uri
):
    init = run_cli("init", config=platform_config)
    assert init.exit_code == 0, init
    assert f"created role {platform_names['role']}" in init.stdout
    upgrade = run_cli("upgrade", config=platform_config)
    assert upgrade.exit_code == 0, upgrade
    status = run_cli("status", config=platform_config)
    assert status.exit_code == 0, status
    assert status.stdout.strip() == f"asterisk: at head at {HEAD}"

    admin = with_db(pg_admin_uri, platform_names["database"])
    assert query(
        admin, "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", platform_names["role"]
    ) == [(True,)]
    assert query(
        admin,
        "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) "
        "FROM pg_database WHERE datname = current_database()",
    ) == [(platform_names["role"], "UTF8")]
    extensions = {r[0] for r in query(admin, "SELECT extname FROM pg_extension")}
    assert {"uuid-ossp", "unaccent", "pgcrypto", "hstore"} <= extensions


def test_every_object_is_owned_by_the_owner_role_without_acl(
    run_cli, platform_config, platform_names, pg_admin_uri
):
    assert run_cli("init", config=platform_config).exit_code == 0
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    admin = with_db(pg_admin_uri, platform_names["database"])
    not_extension = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {cat}::regclass "
        "AND d.objid = o.oid AND d.deptype = 'e')"
    )
    rows = query(
        admin,
        f"""
        SELECT 'relation', relname, pg_get_userbyid(relowner), relacl::text FROM pg_class o
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r','S','v','m','p','i')
          AND {not_extension.format(cat="'pg_class'")}
        UNION ALL
        SELECT 'function', proname, pg_get_userbyid(proowner), proacl::text FROM pg_proc o
        WHERE pronamespace = 'public'::regnamespace AND {not_extension.format(cat="'pg_proc'")}
        UNION ALL
        SELECT 'type', typname, pg_get_userbyid(typowner), typacl::text FROM pg_type o
        WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e','d','c')
          AND typrelid = 0 AND {not_extension.format(cat="'pg_type'")}
    """,
    )
    kinds = {r[0] for r in rows}
    assert {"relation", "function", "type"} <= kinds
    wrong = [r for r in rows if r[2] != platform_names["role"] or r[3] is not None]
    assert wrong == []


def test_running_init_upgrade_status_again_changes_nothing(
    run_cli, platform_config, platform_names, pg_admin_uri
):
    for command in ("init", "upgrade", "status"):
        assert run_cli(command, config=platform_config).exit_code == 0
    admin = with_db(pg_admin_uri, platform_names["database"])
    before = pg_dump_schema(admin)
    data_before = query(admin, "SELECT uuid, wazo_version FROM infos")
    init = run_cli("init", config=platform_config)
    upgrade = run_cli("upgrade", config=platform_config)
    status = run_cli("status", config=platform_config)
    assert (init.exit_code, upgrade.exit_code, status.exit_code) == (0, 0, 0)
    assert "nothing to create" in init.stdout
    assert "already at target" in upgrade.stdout
    assert pg_dump_schema(admin) == before
    assert query(admin, "SELECT uuid, wazo_version FROM infos") == data_before


def test_status_exits_3_after_stamp_to_older_revision_and_0_at_head(run_cli, platform_config):
    assert run_cli("init", config=platform_config).exit_code == 0
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    older = load_graph(REPO / "alembic").history()[-2].revision
    assert run_cli("stamp", older, config=platform_config).exit_code == 0
    behind = run_cli("status", config=platform_config)
    assert behind.exit_code == 3
    assert behind.stdout.strip() == f"asterisk: behind at {older} (head {HEAD})"
    as_json = json.loads(run_cli("status", "--json", config=platform_config).stdout)
    assert as_json == [
        {
            "component": "asterisk",
            "database": as_json[0]["database"],
            "current": [older],
            "heads": [HEAD],
            "at_head": False,
            "state": "behind",
            "error": None,
        }
    ]
    assert run_cli("check", config=platform_config).exit_code == 3
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    assert run_cli("status", config=platform_config).exit_code == 0
    assert json.loads(run_cli("status", "--json", config=platform_config).stdout)[0]["at_head"]


def test_base_head_base_head_gives_identical_schema(
    run_cli, platform_config, platform_names, pg_admin_uri
):
    admin = with_db(pg_admin_uri, platform_names["database"])
    assert run_cli("init", config=platform_config).exit_code == 0
    empty = pg_dump_schema(admin)
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    first = pg_dump_schema(admin)
    down = run_cli("downgrade", "base", config=platform_config)
    assert down.exit_code == 0, down
    tables = query(
        admin,
        "SELECT relname FROM pg_class WHERE relkind = 'r' "
        "AND relnamespace = 'public'::regnamespace",
    )
    assert sorted(tables) == [("alembic_version",), ("alembic_version_history",)]
    assert "CREATE TYPE" not in pg_dump_schema(admin) and "CREATE TYPE" not in empty
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    assert pg_dump_schema(admin) == first


def test_current_heads_and_history_name_the_revisions(run_cli, platform_config):
    assert run_cli("init", config=platform_config).exit_code == 0
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    assert run_cli("current", config=platform_config).stdout.strip() == (f"asterisk: {HEAD} (head)")
    assert run_cli("heads", config=platform_config).stdout.startswith(f"asterisk: {HEAD} ")
    history = run_cli("history", config=platform_config).stdout.splitlines()
    revisions = load_graph(REPO / "alembic").history()
    assert len(history) == len(revisions)
    assert history[0].startswith(f"{revisions[-2].revision} -> {HEAD} (head), ")
    assert history[-1].startswith(f"<base> -> {revisions[0].revision}, ")


def test_offline_sql_needs_no_database(run_cli, write_config):
    config = write_config({"db_uri": "postgresql://nobody:x@127.0.0.1:1/nowhere", "plugins": False})
    result = run_cli("upgrade", "--sql", config=config)
    assert result.exit_code == 0, result
    assert "CREATE TABLE infos" in result.stdout or "CREATE TABLE public.infos" in result.stdout
    assert f"UPDATE alembic_version SET version_num='{HEAD}'" in result.stdout


def test_unknown_revision_is_one_line_exit_6(run_cli, platform_config):
    assert run_cli("init", config=platform_config).exit_code == 0
    result = run_cli("upgrade", "deadbeef", "--component", "asterisk", config=platform_config)
    assert result.exit_code == 6
    assert result.stderr.strip().splitlines() == [
        f"wazo-manage-db: unknown revision 'deadbeef' in {REPO / 'alembic'}"
    ]


def test_unreachable_server_is_one_line_exit_4(run_cli, write_config):
    config = write_config(
        {
            "db_uri": "postgresql://someone:pw@127.0.0.1:1/nowhere",
            "server_wait": 0,
            "plugins": False,
        }
    )
    result = run_cli("status", config=config)
    assert result.exit_code == 4
    assert result.stdout.strip().startswith(
        "asterisk: error: cannot connect to someone@127.0.0.1:1/nowhere: "
    )
    assert "pw" not in result.stdout.replace("nowhere", "")
    assert "Traceback" not in result.stdout + result.stderr
    upgrade = run_cli("upgrade", config=config)
    assert upgrade.exit_code == 4
    assert "cannot connect to someone@127.0.0.1:1/nowhere" in upgrade.stdout


def test_unknown_component_is_one_line_exit_2(run_cli, platform_config):
    result = run_cli("status", "--component", "nope", config=platform_config)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("wazo-manage-db: unknown component 'nope' (known: asterisk)")


def test_broken_config_is_one_line_exit_2_with_file_name(run_cli, tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("components:\n  asterisk: [\n", encoding="utf-8")
    result = run_cli("status", config=config)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"wazo-manage-db: {config}: invalid YAML (line ")


def test_debug_shows_the_traceback(run_cli, tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("bogus: 1\n", encoding="utf-8")
    quiet = run_cli("status", config=config)
    assert "Traceback" not in quiet.stderr
    loud = run_cli("-d", "status", config=config)
    assert loud.exit_code == 2
    assert "Traceback" in loud.stderr
    assert loud.stderr.strip().endswith(f"wazo-manage-db: {config}: unknown key 'bogus'")


@pytest.mark.parametrize("option", ["--admin-uri", "--pg_db_uri"])
def test_init_takes_admin_uri_option_under_both_names(
    run_cli, write_config, pg_admin_uri, platform_names, option
):
    config = write_config({"db_uri": owner_uri(pg_admin_uri, platform_names), "plugins": False})
    result = run_cli("init", option, pg_admin_uri, config=config)
    assert result.exit_code == 0, result
    assert f"created database {platform_names['database']}" in result.stdout
