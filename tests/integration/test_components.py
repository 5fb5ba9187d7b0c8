"""Several components: shared database, own database and role, schema, plugins, dependencies."""

from __future__ import annotations

import json

import pytest

from pgtest import (
    admin_execute,
    install_plugin,
    query,
    run_tool,
    server_settings,
    throwaway_names,
    unique,
    with_db,
)
from trees import DAEMON_PACKAGES, FIXTURES, make_tree


@pytest.fixture(autouse=True)
def daemon_packages_installed(monkeypatch):
    """The fixture trees import their daemon's package, as stock trees do."""
    monkeypatch.syspath_prepend(str(DAEMON_PACKAGES))


def three_components(pg_admin_uri, cleanup, write_config, **extra):
    """Platform + chatd in the shared database + auth in its own database with its own role."""
    role, database = unique("t_asterisk"), unique("t_asterisk")
    auth_role, auth_db = unique("t_auth"), unique("t_auth")
    for r, d in ((role, database), (auth_role, auth_db)):
        cleanup(role=r)
        cleanup(database=d)
    config = write_config(
        {
            "db_uri": with_db(pg_admin_uri, database, role, "secret"),
            "admin_uri": pg_admin_uri,
            "plugins": False,
            "components": {
                "chatd": {
                    "script_location": str(FIXTURES / "chatd" / "alembic"),
                    "version_table": "chatd_alembic_version",
                    "depends_on": ["asterisk"],
                },
                "auth": {
                    "script_location": str(FIXTURES / "auth" / "alembic"),
                    "database": auth_db,
                    "owner": auth_role,
                    "password": "authpw",
                    "version_table": "alembic_version_auth",
                    "extensions": ["uuid-ossp"],
                },
                **extra,
            },
        }
    )
    return config, {"role": role, "database": database, "auth_role": auth_role, "auth_db": auth_db}


def test_platform_and_two_daemon_trees_reach_head_in_their_databases(
    run_cli, pg_admin_uri, cleanup, write_config
):
    config, names = three_components(pg_admin_uri, cleanup, write_config)
    init = run_cli("init", config=config)
    assert init.exit_code == 0, init
    upgrade = run_cli("upgrade", config=config)
    assert upgrade.exit_code == 0, upgrade
    order = [line.split()[0] for line in upgrade.stdout.splitlines()[1:]]
    assert order.index("asterisk") < order.index("chatd")
    status = json.loads(run_cli("status", "--json", config=config).stdout)
    assert {row["component"]: row["state"] for row in status} == {
        "asterisk": "at head",
        "chatd": "at head",
        "auth": "at head",
    }

    shared = with_db(pg_admin_uri, names["database"])
    assert query(shared, "SELECT version_num FROM chatd_alembic_version") == [("7d1a0e5c3b62",)]
    assert query(
        shared, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'chatd_message'"
    ) == [(names["role"],)]
    own = with_db(pg_admin_uri, names["auth_db"])
    assert query(own, "SELECT version_num FROM alembic_version_auth") == [("e4a9c3d27f15",)]
    assert query(
        own,
        "SELECT pg_get_userbyid(relowner), obj_description(oid) FROM pg_class "
        "WHERE relname = 'auth_user'",
    ) == [(names["auth_role"], "Users of the platform's authentication daemon")]
    assert query(
        own, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    ) == [(names["auth_role"],)]

    clean = run_cli("audit", config=config)
    assert clean.exit_code == 0, clean
    admin_execute(
        shared, "GRANT SELECT ON chatd_room TO PUBLIC", "ALTER TABLE tenant OWNER TO postgres"
    )
    audit = run_cli("audit", "--json", config=config)
    assert audit.exit_code == 1
    found = {
        (f["component"], f["object"], f["problem"]) for f in json.loads(audit.stdout)["findings"]
    }
    assert ("chatd", "table public.chatd_room", "acl") in found
    assert ("asterisk", "table public.tenant", "owner") in found


def test_component_selection_runs_only_that_component(run_cli, pg_admin_uri, cleanup, write_config):
    config, names = three_components(pg_admin_uri, cleanup, write_config)
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("upgrade", "--component", "auth", config=config)
    assert result.exit_code == 0
    status = {
        r["component"]: r["state"]
        for r in json.loads(run_cli("status", "--json", config=config).stdout)
    }
    assert status == {"asterisk": "behind", "chatd": "behind", "auth": "at head"}
    assert run_cli("status", "--component", "auth", config=config).exit_code == 0


def test_failing_component_skips_its_dependents_only(
    run_cli, pg_admin_uri, cleanup, write_config, tmp_path
):
    broken = make_tree(
        tmp_path / "broken",
        [("f0f0f0f0f0f0", None, 'op.execute("SELECT * FROM no_such_table")', "pass")],
        version_table="alembic_version_broken",
    )
    config, names = three_components(
        pg_admin_uri,
        cleanup,
        write_config,
        broken={"script_location": str(broken), "version_table": "alembic_version_broken"},
    )
    # chatd now depends on the broken component instead of the platform.
    import yaml

    settings = yaml.safe_load(config.read_text())
    settings["components"]["chatd"]["depends_on"] = ["broken"]
    config.write_text(yaml.safe_dump(settings))

    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 5
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert " ok " in rows["asterisk"] + " " and " ok " in rows["auth"] + " "
    assert "failed" in rows["broken"] and "revision f0f0f0f0f0f0" in rows["broken"]
    assert "skipped" in rows["chatd"] and "dependency broken did not complete" in rows["chatd"]
    assert result.stderr.count("wazo-manage-db:") == 1


def test_component_confined_to_its_own_schema(run_cli, pg_admin_uri, cleanup, write_config):
    role, database = throwaway_names(cleanup, "t_demo")
    chatd = {
        "script_location": str(FIXTURES / "chatd" / "alembic"),
        "schema": "chatd",
        "version_table": "chatd_alembic_version",
    }
    config = write_config(server_settings(pg_admin_uri, role, database, chatd=chatd))
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("status", config=config).exit_code == 0
    admin = with_db(pg_admin_uri, database)
    rows = query(
        admin,
        "SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname IN ('public', 'chatd') ORDER BY 2",
    )
    assert rows == [
        ("chatd", "chatd_alembic_version", role),
        ("chatd", "chatd_alembic_version_history", role),
        ("chatd", "chatd_message", role),
        ("chatd", "chatd_room", role),
    ]
    assert query(
        admin, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'chatd'"
    ) == [(role,)]


def bad_config(write_config, tmp_path, components):
    return write_config(
        {
            "db_uri": "postgresql://x@127.0.0.1:1/x",
            "plugins": False,
            "components": {"asterisk": {"enabled": False}, **components},
        }
    )


def test_depends_on_cycle_is_refused_before_anything_runs(run_cli, write_config, tmp_path):
    chatd = str(FIXTURES / "chatd" / "alembic")
    auth = str(FIXTURES / "auth" / "alembic")
    config = bad_config(
        write_config,
        tmp_path,
        {
            "a": {"script_location": chatd, "version_table": "va", "depends_on": ["b"]},
            "b": {"script_location": auth, "version_table": "vb", "depends_on": ["a"]},
        },
    )
    result = run_cli("upgrade", config=config)
    assert result.exit_code == 2
    assert result.stderr.strip() == "wazo-manage-db: depends_on cycle: a -> b -> a"


def test_two_components_claiming_one_version_table_are_refused(run_cli, write_config, tmp_path):
    chatd = str(FIXTURES / "chatd" / "alembic")
    config = bad_config(
        write_config,
        tmp_path,
        {
            "a": {"script_location": chatd, "database": "shared"},
            "b": {"script_location": chatd, "database": "shared"},
        },
    )
    result = run_cli("status", config=config)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: components 'a' and 'b' both use version "
        "table public.alembic_version in database shared"
    )


def test_missing_script_location_is_refused(run_cli, write_config, tmp_path):
    config = bad_config(
        write_config, tmp_path, {"a": {"script_location": str(tmp_path / "nowhere")}}
    )
    result = run_cli("init", config=config)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"wazo-manage-db: component 'a': script location {tmp_path / 'nowhere'} has no env.py"
    )


def test_unknown_dependency_is_refused(run_cli, write_config, tmp_path):
    config = bad_config(
        write_config,
        tmp_path,
        {"a": {"script_location": str(FIXTURES / "chatd" / "alembic"), "depends_on": ["ghost"]}},
    )
    result = run_cli("status", config=config)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: component 'a' depends on unknown component 'ghost'"
    )


def run_installed(site, config, *args):
    return run_tool(*args, config=config, pythonpath=[site, DAEMON_PACKAGES])


def test_installed_plugin_component_is_found_without_config_change(
    tmp_path, pg_admin_uri, cleanup, write_config
):
    role, database = throwaway_names(cleanup, "t_demo")
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(
        site,
        "wazo_fake_daemon",
        f"""
        COMPONENT = {{
            "script_location": {str(FIXTURES / "chatd" / "alembic")!r},
            "version_table": "chatd_alembic_version",
        }}
    """,
    )
    config = write_config(
        {
            "db_uri": with_db(pg_admin_uri, database, role),
            "admin_uri": pg_admin_uri,
            "components": {"asterisk": {"enabled": False}},
        }
    )
    assert run_installed(site, config, "init").returncode == 0
    upgrade = run_installed(site, config, "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    status = run_installed(site, config, "status", "--json")
    assert [(r["component"], r["state"]) for r in json.loads(status.stdout)] == [
        ("fakechatd", "at head")
    ]


def test_plugin_that_fails_to_import_is_one_clear_error(tmp_path, write_config):
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "wazo_broken_daemon", "import no_such_module_anywhere\n")
    config = write_config({"db_uri": "postgresql://x@127.0.0.1:1/x"})
    result = run_installed(site, config, "status")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: plugin 'fakechatd' (wazo_broken_daemon:COMPONENT) failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    )


def test_plugin_with_a_negative_limit_is_one_clear_error(tmp_path, write_config):
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(
        site,
        "wazo_limited_daemon",
        f"COMPONENT = {{'script_location': {str(FIXTURES / 'chatd' / 'alembic')!r}, "
        "'statement_timeout': -1}\n",
    )
    config = write_config({"db_uri": "postgresql://x@127.0.0.1:1/x"})
    result = run_installed(site, config, "status")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: plugin 'fakechatd': components.fakechatd.statement_timeout: "
        "must not be negative"
    )
