"""The ``models`` setting comes from a plugin's component definition too."""

from __future__ import annotations

from pathlib import Path

from throwaway_drops import wait_for_throwaway_drops

from pgtest import run_tool, throwaway_names, with_db

DAEMONS = Path(__file__).resolve().parent.parent / "fixtures" / "daemons"


def test_a_plugin_declares_its_models_and_check_models_uses_them(
    tmp_path, pg_admin_uri, cleanup, write_config
):
    role, database = throwaway_names(cleanup, "t_models")
    site = tmp_path / "site"
    site.mkdir()
    (site / "wazo_models_daemon.py").write_text(
        "COMPONENT = {\n"
        f"    'script_location': {str(DAEMONS / 'chatd' / 'alembic')!r},\n"
        "    'version_table': 'chatd_alembic_version',\n"
        "    'models': 'fixture_chatd.database.models:Base',\n"
        "}\n"
    )
    info = site / "wazo_models_daemon-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: wazo_models_daemon\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[wazo_manage_db.components]\nchatd = wazo_models_daemon:COMPONENT\n"
    )
    config = write_config(
        {
            "db_uri": with_db(pg_admin_uri, database, role),
            "admin_uri": pg_admin_uri,
            "components": {"asterisk": {"enabled": False}},
        }
    )
    pythonpath = [site, DAEMONS / "site"]
    assert run_tool("init", config=config, pythonpath=pythonpath).returncode == 0
    result = run_tool("check-models", config=config, pythonpath=pythonpath)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["chatd: clean: models against migrations (7d1a0e5c3b62)"]
    assert wait_for_throwaway_drops(pg_admin_uri, role) == []
