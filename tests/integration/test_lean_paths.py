"""status and the upgrade with nothing to do never load alembic or SQLAlchemy; no upgrade loads
the SQL parser (pglast, lint's optional extra), lint, or the syntax highlighter mako would load
for its HTML error pages (pygments); the revisions run with the garbage collector on."""

from __future__ import annotations

import json

from pgtest import query, run_tool, server_settings, throwaway_names, with_db
from trees import DAEMON_PACKAGES, make_tree

# Runs the command line, then lists the modules of alembic and SQLAlchemy it loaded, and how
# many objects are frozen at the last exit handler (registered first, so it runs last).
_PROBE = """
import atexit, gc, runpy, sys
atexit.register(lambda: print(f"FROZEN {gc.get_freeze_count()}", file=sys.stderr))
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
try:
    runpy.run_module("manage_db", run_name="__main__")
finally:
    roots = ("alembic", "sqlalchemy", "pglast", "pygments")
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in roots)
    loaded += sorted(m for m in sys.modules if m.startswith(("manage_db.lint", "manage_db.sql")))
    print("LOADED " + " ".join(loaded), file=sys.stderr)
"""


def run_probe(config, *args):
    proc = run_tool(*args, config=config, code=_PROBE, pythonpath=[DAEMON_PACKAGES])
    loaded = proc.stderr.rpartition("LOADED")[2].partition("FROZEN")[0].split()
    return proc, loaded


def test_status_and_a_second_upgrade_load_no_migration_runtime(
    tmp_path, pg_admin_uri, cleanup, write_config
):
    role, database = throwaway_names(cleanup, "t_lean")
    components: dict[str, dict] = {}
    for name in ("one", "two"):
        location = make_tree(
            tmp_path / name,
            [(f"{name}0000000001", None, f"op.execute('CREATE TABLE {name}_t (id int)')", "pass")],
            version_table=f"alembic_version_{name}",
        )
        components[name] = {
            "script_location": str(location),
            "version_table": f"alembic_version_{name}",
        }
    config = write_config(server_settings(pg_admin_uri, role, database, "secret", **components))
    assert run_probe(config, "init")[0].returncode == 0
    first, loaded = run_probe(config, "upgrade")
    assert first.returncode == 0, first.stderr
    assert "alembic" in loaded  # there was work: the runtime ran it
    assert [m for m in loaded if m.startswith(("pglast", "manage_db.lint", "manage_db.sql"))] == []
    assert [m for m in loaded if m.startswith("pygments")] == []
    # What it loaded is left to the interpreter's exit, not collected once more on the way out.
    assert int(first.stderr.rpartition("FROZEN ")[2].split()[0]) > 0

    again, loaded = run_probe(config, "upgrade", "--json")
    assert again.returncode == 0, again.stderr
    assert [r["message"] for r in json.loads(again.stdout)] == ["already at target"] * 2
    assert loaded == []

    status, loaded = run_probe(config, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert [r["state"] for r in json.loads(status.stdout)] == ["at head"] * 2
    assert loaded == []


# Runs the command line, counting the sessions it opens (the liveness probe of a long wait,
# asynchronous, is not one) and listing the record modules it loaded.
_SESSIONS_PROBE = """
import runpy, sys
import psycopg2
opened = []
_connect = psycopg2.connect
def connect(*args, **kwargs):
    if not kwargs.get("async_") and not kwargs.get("async"):
        opened.append(1)
    return _connect(*args, **kwargs)
psycopg2.connect = connect
sys.argv = ["wazo-manage-db", *sys.argv[1:]]
try:
    runpy.run_module("manage_db", run_name="__main__")
finally:
    records = ("manage_db.squash.model", "manage_db.replication")
    loaded = sorted(m for m in sys.modules if m.startswith(records))
    print(f"SESSIONS {len(opened)} LOADED " + " ".join(loaded), file=sys.stderr)
"""


def test_an_upgrade_with_work_holds_one_lock_session_and_one_migration_session(
    tmp_path, pg_admin_uri, cleanup, write_config
):
    role, database = throwaway_names(cleanup, "t_lean")
    location = make_tree(
        tmp_path / "one",
        [
            ("a000000001", None, "op.execute('CREATE TABLE lean_a (id int)')", "pass"),
            ("a000000002", "a000000001", "op.execute('CREATE TABLE lean_b (id int)')", "pass"),
        ],
    )
    config = write_config(
        server_settings(
            pg_admin_uri, role, database, "secret", one={"script_location": str(location)}
        )
    )
    assert run_tool("init", config=config).returncode == 0
    proc = run_tool("upgrade", "--json", config=config, code=_SESSIONS_PROBE)
    assert proc.returncode == 0, proc.stderr
    assert [r["message"] for r in json.loads(proc.stdout)] != ["already at target"]
    sessions, _, loaded = proc.stderr.rpartition("SESSIONS ")[2].partition(" LOADED")
    # The at-heads check's session, holding the migration lock, goes on for the whole run; the
    # revisions run in the migration session beside it.
    assert int(sessions) == 2
    # A tree never squashed, no standby to wait for: neither capability's records are loaded.
    assert loaded.split() == []


def test_the_revisions_run_with_the_garbage_collector_on(
    tmp_path, pg_admin_uri, cleanup, write_config
):
    # The start-up goes without collections (launcher.main); a long upgrade must not.
    role, database = throwaway_names(cleanup, "t_lean")
    location = make_tree(
        tmp_path / "one",
        [
            (
                "c000000001",
                None,
                "import gc\nop.execute(f'CREATE TABLE lean_gc_{gc.isenabled()} (id int)')",
                "pass",
            )
        ],
    )
    config = write_config(
        server_settings(
            pg_admin_uri, role, database, "secret", one={"script_location": str(location)}
        )
    )
    assert run_tool("init", config=config).returncode == 0
    proc = run_tool("upgrade", config=config)
    assert proc.returncode == 0, proc.stderr
    tables = query(
        with_db(pg_admin_uri, database),
        "SELECT tablename FROM pg_tables WHERE tablename ~ 'lean_gc'",
    )
    assert tables == [("lean_gc_true",)]
