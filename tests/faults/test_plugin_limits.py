"""A component declared by an installed package (entry point ``wazo_manage_db.components``)
honours the session limits: the global ones, its own mapping's, and its config entry's."""

from __future__ import annotations

import time

from fault_harness import VERSION_TABLE, figure, finish, wait_for, write_tree
from test_table_locks import ALTER, BUSY, blocked_reader, hold_table, upgrade_waits_for_lock

from pgtest import install_plugin, run_tool, start_tool, throwaway_names, with_db

SLOW = (
    "c3c3c3c3c3c3",
    "a1a1a1a1a1a1",
    'op.execute("SELECT pg_sleep(4)")',
    "pass",
)


class PluginComponent:
    """Component ``demo`` declared only by an installed plugin, on throwaway names."""

    def __init__(self, tmp_path, pg_admin_uri, cleanup, write_config, revisions, own, settings):
        role, database = throwaway_names(cleanup, "t_plugin")
        self.site = tmp_path / "site"
        self.site.mkdir()
        definition = {
            "script_location": str(write_tree(tmp_path / "tree", revisions)),
            "database": database,
            "owner": role,
            "version_table": VERSION_TABLE,
            **own,
        }
        install_plugin(self.site, "wazo_demo_daemon", f"COMPONENT = {definition!r}\n", entry="demo")
        self.owner_uri = with_db(pg_admin_uri, database, role)
        self.config = write_config(
            {
                "db_uri": self.owner_uri,
                "admin_uri": pg_admin_uri,
                "components": {"asterisk": {"enabled": False}},
                "server_wait": 2,
                "lock_wait": 120,
                **settings,
            }
        )
        assert self.run("init").returncode == 0

    def run(self, *args: str):
        return run_tool(*args, config=self.config, pythonpath=[self.site], timeout=60)

    def start(self, *args: str):
        return start_tool(*args, config=self.config, pythonpath=[self.site])

    def query(self, statement: str) -> list[tuple]:
        from pgtest import query

        return query(self.owner_uri, statement)

    def version(self) -> list[str]:
        return [r[0] for r in self.query(f"SELECT version_num FROM {VERSION_TABLE}")]


def make(request, revisions, own=None, **settings) -> PluginComponent:
    fixtures = [request.getfixturevalue(n) for n in ("pg_admin_uri", "cleanup", "write_config")]
    return PluginComponent(
        request.getfixturevalue("tmp_path"), *fixtures, revisions, own or {}, settings
    )


def slow_revision_is_cancelled(component: PluginComponent) -> None:
    started = time.monotonic()
    result = component.run("upgrade")
    figure("seconds before the 4 s revision was cancelled", f"{time.monotonic() - started:.2f}")
    assert result.returncode == 5, result
    assert result.stderr.strip().splitlines() == [
        "wazo-manage-db: demo: revision c3c3c3c3c3c3 failed: QueryCanceled: canceling statement "
        "due to statement timeout; database left at a1a1a1a1a1a1"
    ]
    assert component.version() == ["a1a1a1a1a1a1"]


def test_plugin_component_honours_the_global_statement_timeout(request):
    slow_revision_is_cancelled(make(request, [BUSY, SLOW], statement_timeout=1))


def test_plugin_component_honours_its_own_statement_timeout(request):
    slow_revision_is_cancelled(make(request, [BUSY, SLOW], own={"statement_timeout": 1}))


def test_config_entry_wins_over_the_plugins_own_limit(request):
    component = make(request, [BUSY, SLOW], own={"statement_timeout": 30})
    config = component.config.read_text()
    component.config.write_text(
        config.replace("  asterisk:", "  demo:\n    statement_timeout: 1\n  asterisk:")
    )
    slow_revision_is_cancelled(component)


def test_reader_blocked_by_a_plugin_components_revision_waits_at_most_lock_timeout(request):
    component = make(request, [BUSY, ALTER], own={"lock_timeout": 1, "lock_retries": 5})
    assert component.run("upgrade", "a1a1a1a1a1a1").returncode == 0
    holder = hold_table(component)
    try:
        run = component.start("upgrade")
        wait_for(lambda: upgrade_waits_for_lock(component), 30, "the ALTER to wait for its lock")
        reader_seconds: list[float] = []
        blocked_reader(component, reader_seconds).join(timeout=20)
    finally:
        holder.rollback()
        holder.close()
    exit_code, out, err = finish(run, timeout=30)
    figure("seconds the reader was blocked", f"{reader_seconds[0]:.2f}" if reader_seconds else "?")
    assert reader_seconds and reader_seconds[0] <= 1 + 1
    assert exit_code == 0, (out, err)
    assert component.version() == ["b2b2b2b2b2b2"]
