"""The migration session's limits reach a stock env.py's own engine; a revision's own SET wins."""

from __future__ import annotations

RECORD = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE seen (rev text, lock_timeout text, statement_timeout text, '
    'check_interval text)")\n'
    "op.execute(\"INSERT INTO seen SELECT 'a1', current_setting('lock_timeout'), "
    "current_setting('statement_timeout'), "
    "current_setting('client_connection_check_interval')\")",
    'op.execute("DROP TABLE seen")',
)
OWN_LOCK_TIMEOUT = (
    "b2b2b2b2b2b2",
    "a1a1a1a1a1a1",
    "op.execute(\"SET LOCAL lock_timeout = '7s'\")\n"
    "op.execute(\"INSERT INTO seen SELECT 'b2', current_setting('lock_timeout'), "
    "current_setting('statement_timeout'), "
    "current_setting('client_connection_check_interval')\")",
    "op.execute(\"DELETE FROM seen WHERE rev = 'b2'\")",
)
SLOW = (
    "c3c3c3c3c3c3",
    "b2b2b2b2b2b2",
    'op.execute("SELECT pg_sleep(5)")',
    "pass",
)


def test_session_limits_reach_the_revisions_and_a_revision_keeps_its_own(make_component):
    component = make_component([RECORD, OWN_LOCK_TIMEOUT], lock_timeout=2, statement_timeout=30)
    result = component.run("upgrade")
    assert result.returncode == 0, result
    assert component.query("SELECT * FROM seen ORDER BY rev") == [
        ("a1", "2s", "30s", "1s"),
        ("b2", "7s", "30s", "1s"),
    ]


def test_per_component_limits_win_over_global_ones(make_component):
    component = make_component([RECORD], lock_timeout=2, own={"lock_timeout": 3})
    assert component.run("upgrade").returncode == 0
    assert component.query("SELECT lock_timeout FROM seen") == [("3s",)]


def test_statement_past_statement_timeout_fails_its_revision(make_component):
    component = make_component([RECORD, OWN_LOCK_TIMEOUT, SLOW], statement_timeout=1)
    result = component.run("upgrade", timeout=30)
    assert result.returncode == 5, result
    assert result.stderr.strip().splitlines() == [
        "wazo-manage-db: demo: revision c3c3c3c3c3c3 failed: QueryCanceled: canceling statement "
        "due to statement timeout; database left at b2b2b2b2b2b2"
    ]
    assert component.version() == ["b2b2b2b2b2b2"]


def test_negative_limit_is_refused_naming_the_file_and_key(make_component):
    component = make_component([RECORD], init=False, lock_retries=-1)
    result = component.run("upgrade")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"wazo-manage-db: {component.config}: lock_retries: must not be negative"
    )
