"""Migration session limits: configuration, libpq parameters, retry pauses, the lock named."""

from __future__ import annotations

import pytest

from manage_db.config import load_settings
from manage_db.dao.connection import parse_uri
from manage_db.dao.session import is_lock_not_available, migration_session_uri
from manage_db.errors import ConfigError, MigrationFailed
from manage_db.registry import Registry
from manage_db.services.retry import backoff, lock_wanted, run_with_lock_retries
from manage_db.timeouts import SessionTimeouts


def components(tmp_path, text, plugins=None, monkeypatch=None):
    """The run's components (by name) from a config file and installed plugins' mappings."""
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "env.py").write_text("")
    config = tmp_path / "config.yml"
    config.write_text(text.replace("TREE", str(tree)))
    if monkeypatch is not None:
        found = {name: {"script_location": str(tree), **d} for name, d in (plugins or {}).items()}
        monkeypatch.setattr("manage_db.registry.plugin_components", lambda: found)
    settings = load_settings(str(config), environ={})
    return {c.name: c.timeouts for c in Registry(settings).all()}


NO_PLATFORM = "plugins: false\ncomponents:\n  asterisk:\n    script_location: TREE\n"


def test_defaults_are_five_seconds_of_lock_wait_no_statement_limit_three_retries(tmp_path):
    assert components(tmp_path, NO_PLATFORM)["asterisk"] == SessionTimeouts(
        5.0, 0.0, 3, 30.0, 300.0
    )


def test_component_value_wins_over_global_value(tmp_path):
    limits = components(
        tmp_path,
        NO_PLATFORM + "    lock_wait: 4\n  auth:\n    script_location: TREE\n"
        "    version_table: v_auth\n    lock_timeout: 9\nlock_timeout: 2\nlock_retries: 1\n",
    )
    assert limits["auth"] == SessionTimeouts(9.0, 0.0, 1, 30.0, 300.0)
    assert limits["asterisk"] == SessionTimeouts(2.0, 0.0, 1, 30.0, 4.0)


def test_plugin_component_takes_the_global_limits(tmp_path, monkeypatch):
    text = "statement_timeout: 1\nlock_timeout: 2\nlock_wait: 3\n" + NO_PLATFORM.replace(
        "plugins: false\n", ""
    )
    limits = components(tmp_path, text, {"chatd": {"version_table": "v"}}, monkeypatch)
    assert limits["chatd"] == SessionTimeouts(2.0, 1.0, 3, 30.0, 3.0)


def test_plugin_mapping_wins_over_global_and_config_entry_over_plugin(tmp_path, monkeypatch):
    text = (
        "statement_timeout: 1\nlock_timeout: 2\n"
        + NO_PLATFORM.replace("plugins: false\n", "")
        + "  chatd:\n    lock_timeout: 8\n"
    )
    plugin = {"version_table": "v", "statement_timeout": 4, "lock_timeout": 6, "lock_retries": 0}
    limits = components(tmp_path, text, {"chatd": plugin}, monkeypatch)
    assert limits["chatd"] == SessionTimeouts(8.0, 4.0, 0, 30.0, 300.0)
    assert limits["asterisk"] == SessionTimeouts(2.0, 1.0, 3, 30.0, 300.0)


def test_plugin_limit_of_the_wrong_type_names_the_plugin(tmp_path, monkeypatch):
    text = NO_PLATFORM.replace("plugins: false\n", "")
    with pytest.raises(
        ConfigError, match="plugin 'chatd': 'components.chatd.lock_wait' must be int or float"
    ):
        components(tmp_path, text, {"chatd": {"lock_wait": "soon"}}, monkeypatch)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("server_timeout: -1\n", "server_timeout"),
        ("components:\n  a:\n    lock_timeout: -0.5\n", "components.a.lock_timeout"),
    ],
)
def test_negative_limit_is_refused_naming_the_key(tmp_path, text, key):
    config = tmp_path / "config.yml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=f": {key}: must not be negative"):
        load_settings(str(config), environ={})


def test_session_uri_carries_the_limits_and_keeps_the_search_path():
    uri = "postgresql://owner:secret@db.example:5433/demo?options=-csearch_path%3Dauth"
    params = parse_uri(
        migration_session_uri(uri, SessionTimeouts(2.5, 60, 3, 12), server_version=150004)
    )
    assert params["options"].split() == [
        "-csearch_path=auth",
        "-c",
        "synchronous_commit=off",
        "-clock_timeout=2500",
        "-cstatement_timeout=60000",
        "-ctcp_keepalives_idle=5",
        "-ctcp_keepalives_interval=2",
        "-ctcp_keepalives_count=3",
        "-cclient_connection_check_interval=1000",
    ]
    assert (params["keepalives"], params["connect_timeout"]) == ("1", "12")
    assert (params["user"], params["password"], params["host"]) == ("owner", "secret", "db.example")


def test_servers_before_14_get_no_client_connection_check():
    options = parse_uri(migration_session_uri("postgresql:///demo", SessionTimeouts(), 130011))
    assert "client_connection_check_interval" not in options["options"]


def test_retry_pauses_grow_and_stay_jittered_within_bounds():
    assert [backoff(n, rng=lambda: 0.0) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert [backoff(n, rng=lambda: 1.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff(30, rng=lambda: 1.0) == 10.0


def test_the_lock_a_statement_waited_for_is_named_from_its_syntax_tree():
    assert lock_wanted('ALTER TABLE "users" ADD COLUMN age int') == (
        "the ACCESS EXCLUSIVE lock (blocks reads and writes) it wanted on table users"
    )
    assert lock_wanted("CREATE INDEX i ON lines (name)") == (
        "the SHARE lock (blocks writes) it wanted on table lines"
    )
    assert lock_wanted(None) == "a table lock"


class _LockError(Exception):
    pgcode = "55P03"


def _busy_failure() -> MigrationFailed:
    failure = MigrationFailed("demo: revision b2 failed: LockNotAvailable")
    failure.__cause__ = _LockError("canceling statement due to lock timeout")
    return failure


def test_a_run_failing_on_a_busy_table_is_retried_then_succeeds():
    attempts: list[int] = []
    pauses: list[float] = []

    def attempt() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise _busy_failure()

    run_with_lock_retries(
        "demo", SessionTimeouts(lock_retries=3), attempt, lambda: (), sleep=pauses.append
    )
    assert len(attempts) == 3 and len(pauses) == 2
    assert is_lock_not_available(_busy_failure())


def test_other_failures_are_not_retried():
    attempts: list[int] = []

    def attempt() -> None:
        attempts.append(1)
        raise MigrationFailed("demo: revision b2 failed: UndefinedTable")

    with pytest.raises(MigrationFailed):
        run_with_lock_retries("demo", SessionTimeouts(), attempt, lambda: (), sleep=lambda s: None)
    assert len(attempts) == 1


def test_every_per_component_setting_reaches_the_component():
    from dataclasses import fields

    from manage_db.config import per_component_keys

    assert set(per_component_keys()) == {f.name for f in fields(SessionTimeouts)}
