"""Independent components initialised and upgraded at the same time (configuration `parallel`)."""

from __future__ import annotations

import json

import pytest

from pgtest import query, server_settings, throwaway_names, with_db
from trees import DAEMON_PACKAGES, make_tree

NAMES = ("alpha", "bravo", "charlie", "delta", "echo")


@pytest.fixture(autouse=True)
def daemon_packages_installed(monkeypatch):
    """The fixture trees import their daemon's package, as stock trees do."""
    monkeypatch.syspath_prepend(str(DAEMON_PACKAGES))


def five_components(tmp_path, pg_admin_uri, cleanup, write_config, parallel):
    """alpha..delta independent, charlie's second revision broken, echo depends on charlie."""
    role, database = throwaway_names(cleanup, "t_par")
    components: dict[str, dict] = {}
    for name in NAMES:
        second = "op.execute('SELECT no_such_column FROM nowhere')" if name == "charlie" else (
            f"op.execute('ALTER TABLE {name}_item ADD COLUMN label text')"
        )  # fmt: skip
        location = make_tree(
            tmp_path / f"{name}_{parallel}",
            [
                (
                    f"{name[:1]}00000000001",
                    None,
                    f"op.execute('CREATE TABLE {name}_item (id integer PRIMARY KEY)')",
                    f"op.execute('DROP TABLE {name}_item')",
                ),
                (f"{name[:1]}00000000002", f"{name[:1]}00000000001", second, "pass"),
            ],
            version_table=f"alembic_version_{name}",
        )
        components[name] = {
            "script_location": str(location),
            "version_table": f"alembic_version_{name}",
        }
    components["echo"]["depends_on"] = ["charlie"]
    config = write_config(
        {
            **server_settings(pg_admin_uri, role, database, "secret", **components),
            "parallel": parallel,
        },
        name=f"config_{parallel}.yml",
    )
    return config, with_db(pg_admin_uri, database)


@pytest.mark.parametrize("parallel", [4, 1])
def test_a_failure_skips_only_its_dependents_and_the_summary_keeps_the_configured_order(
    tmp_path, run_cli, pg_admin_uri, cleanup, write_config, parallel
):
    config, database = five_components(tmp_path, pg_admin_uri, cleanup, write_config, parallel)
    init = run_cli("init", "--json", config=config)
    assert init.exit_code == 0, init
    assert [row["component"] for row in json.loads(init.stdout)] == list(NAMES)

    upgrade = run_cli("upgrade", "--json", config=config)

    assert upgrade.exit_code == 5, upgrade
    summary = json.loads(upgrade.stdout)
    assert [row["component"] for row in summary] == list(NAMES)
    assert {row["component"]: row["result"] for row in summary} == {
        "alpha": "ok",
        "bravo": "ok",
        "charlie": "failed",
        "delta": "ok",
        "echo": "skipped",
    }
    assert "charlie" in {row["component"]: row["message"] for row in summary}["echo"]
    assert "nowhere" in upgrade.stderr
    for name in ("alpha", "bravo", "delta"):
        version = query(database, f"SELECT version_num FROM alembic_version_{name}")
        assert version == [(f"{name[:1]}00000000002",)]
        columns = query(
            database,
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_name = '{name}_item' ORDER BY column_name",
        )
        assert columns == [("id",), ("label",)]
    # charlie stopped at its last good revision; echo never started.
    assert query(database, "SELECT version_num FROM alembic_version_charlie") == [("c00000000001",)]
    assert query(database, "SELECT to_regclass('alembic_version_echo')") == [(None,)]


def test_components_run_in_parallel_log_to_the_file_one_component_after_another(
    tmp_path, run_cli, pg_admin_uri, cleanup, write_config
):
    config, _database = five_components(tmp_path, pg_admin_uri, cleanup, write_config, 4)
    assert run_cli("init", config=config).exit_code == 0
    run_cli("upgrade", config=config)

    log = (tmp_path / "wazo-manage-db.log").read_text()
    upgrade_log = log[log.rindex("a00000000001") - 200 :]
    # Each component's lines come together, in the configured order.
    firsts = [upgrade_log.index(f"{name[:1]}00000000001") for name in ("alpha", "bravo", "delta")]
    lasts = [upgrade_log.rindex(f"{name[:1]}00000000002") for name in ("alpha", "bravo", "delta")]
    assert firsts[0] < lasts[0] < firsts[1] < lasts[1] < firsts[2] < lasts[2]
