"""The caches status and the no-op upgrade answer from: whatever they keep, a change is seen.

Files written by a test are seconds old at most, and a file changed in the last seconds is never
cached (a second change within the same timestamp tick could leave its stat key as it was), so
these tests shrink that window to nothing, the way a tree looks once it has settled.
"""

from __future__ import annotations

import json
import os

import pytest
from history_trees import ONE, THREE, TWO, setup_component, write_revision

from manage_db.dao import user_cache


@pytest.fixture
def settled_files(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(user_cache, "RACY_NS", 0)
    # Each in-process run reads the caches afresh, as a new process would.
    from manage_db.dao import config_cache, head_verdicts

    class Fresh:
        def __call__(self):
            config_cache._CACHE.forget()
            head_verdicts._CACHE.forget()

    return Fresh()


@pytest.fixture
def demo(tmp_path, write_config, pg_admin_uri, cleanup, run_cli):
    def make(revisions):
        config, owner, location = setup_component(
            tmp_path, write_config, pg_admin_uri, cleanup, revisions, "ours"
        )
        assert run_cli("init", config=config).exit_code == 0
        return config, owner, location

    return make


def edit_keeping_size_and_times(path, old, new):
    """An edit in place whose size, mtime and atime are put back: only the ctime tells."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


def verdicts(tmp_path):
    path = tmp_path / "cache" / "wazo-manage-db" / "head-verdicts-1.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_an_applied_revision_edited_after_a_clean_status_is_drift(
    demo, run_cli, settled_files, tmp_path
):
    config, _owner, location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    for _ in range(2):
        settled_files()
        assert run_cli("status", config=config).exit_code == 0
    assert verdicts(tmp_path)  # the clean answer is kept

    path = location / "versions" / "b2b2b2b2b2b2_step.py"
    edit_keeping_size_and_times(path, "TABLE two", "TABLE owt")
    settled_files()
    status = run_cli("status", config=config)
    assert status.exit_code == 8, status
    assert "b2b2b2b2b2b2 edited since it was applied" in status.stdout
    settled_files()
    upgrade = run_cli("upgrade", config=config)
    assert upgrade.exit_code == 8, upgrade
    assert "refusing to run: b2b2b2b2b2b2 edited" in upgrade.stderr


def test_a_clean_noop_upgrade_then_another_database_state_is_checked_again(
    demo, run_cli, settled_files
):
    config, _owner, location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    for _ in range(2):
        settled_files()
        again = run_cli("upgrade", "--json", config=config)
        assert [r["message"] for r in json.loads(again.stdout)] == ["already at target"]
    settled_files()
    assert run_cli("stamp", "a1a1a1a1a1a1", "--component", "demo", config=config).exit_code == 0
    settled_files()
    behind = run_cli("status", config=config)
    assert behind.exit_code == 3, behind
    assert "behind at a1a1a1a1a1a1" in behind.stdout
    # A new revision added to a tree the verdicts know: the heads are read again.
    settled_files()
    assert run_cli("stamp", "b2b2b2b2b2b2", "--component", "demo", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0
    write_revision(location, *THREE)
    settled_files()
    assert run_cli("status", config=config).exit_code == 3
    settled_files()
    assert run_cli("upgrade", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0


def test_a_revision_missing_after_a_clean_status_is_drift(demo, run_cli, settled_files):
    config, _owner, location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0
    (location / "versions" / "b2b2b2b2b2b2_step.py").unlink()
    settled_files()
    status = run_cli("status", config=config)
    assert status.exit_code == 8
    assert "b2b2b2b2b2b2 applied but missing from the tree" in status.stdout


def test_a_changed_config_file_is_seen_even_with_its_size_and_times_put_back(
    demo, run_cli, settled_files, write_config, tmp_path
):
    config, _owner, _location = demo([ONE])
    assert run_cli("upgrade", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0  # the config from the cache
    text = config.read_text()
    assert "demo:" in text
    edit_keeping_size_and_times(config, "demo:", "omed:")
    settled_files()
    status = run_cli("status", "--component", "demo", config=config)
    assert status.exit_code == 2
    assert "unknown component 'demo' (known: omed)" in status.stderr


def test_a_history_row_written_after_a_clean_status_is_seen(
    demo, run_cli, settled_files, owner_query
):
    config, owner, _location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    settled_files()
    assert run_cli("status", config=config).exit_code == 0
    # A row as a run killed in a non-transactional revision leaves it.
    owner_query(
        owner,
        "INSERT INTO alembic_version_demo_history (revision, direction, started_at, os_user,"
        " host, tool_version, outcome) VALUES ('b2b2b2b2b2b2', 'upgrade', now(), 'x', 'y',"
        " 'z', 'running')",
    )
    settled_files()
    status = run_cli("status", config=config)
    assert status.exit_code == 8, status
    assert "b2b2b2b2b2b2 interrupted" in status.stdout


@pytest.fixture
def owner_query():
    import psycopg2

    def run(uri, statement):
        conn = psycopg2.connect(uri)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    return run


def test_the_edit_just_made_is_seen_without_shrinking_the_window(demo, run_cli):
    config, _owner, location = demo([ONE, TWO])
    assert run_cli("upgrade", config=config).exit_code == 0
    assert run_cli("status", config=config).exit_code == 0
    edit_keeping_size_and_times(
        location / "versions" / "b2b2b2b2b2b2_step.py", "TABLE two", "TABLE owt"
    )
    assert run_cli("status", config=config).exit_code == 8
