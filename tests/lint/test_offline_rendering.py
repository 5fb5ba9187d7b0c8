"""How op.* calls are rendered offline (and analysed when they cannot be)."""

from __future__ import annotations

import datetime
import decimal
import sys
import uuid
from pathlib import Path

from manage_db.lint.config import settings_from
from manage_db.lint.service import lint_paths
from manage_db.runtime.render import literal_sql
from pgtest import run_tool
from tests.lint.conftest import FIXTURES


def test_a_revision_that_prints_does_not_pollute_the_output(tree, capsys):
    tree.revision("a1", None, upgrade="print('hello')", body="print('loading')\n")
    assert tree.codes() == []
    assert capsys.readouterr().out == ""


OFFLINE_TREE = FIXTURES / "offline_tree"


def _by_file(report):
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        slug = Path(finding.path).stem.split("_", 1)[1]
        found.setdefault(slug, []).append(finding.code)
    return found


def test_op_calls_of_the_offline_tree_are_seen_in_at_least_95_percent_of_revisions(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    report = lint_paths([OFFLINE_TREE], settings_from(None))
    assert report.revisions >= 30
    assert report.revisions_seen / report.revisions >= 0.95
    assert _by_file(report) == {
        # reads through op.get_bind() find no rows; what follows is rendered
        "read_loop": ["MDB501"],
        "read_mappings": ["MDB502"],
        "write_raw_string": ["MDB101"],
        "driver_sql": ["MDB505"],
        # SQLAlchemy 1.x forms
        "select_list": ["MDB507"],
        "select_where_from": ["MDB508"],
        "case_list": ["MDB508"],
        "dialects_postgres": ["MDB501"],
        # not renderable offline: read from the syntax tree
        "ast_create_index": ["MDB501"],
        "ast_add_column_not_null": ["MDB502"],
        "ast_alter_column_type_not_null": ["MDB504", "MDB505"],
        "ast_foreign_key": ["MDB506"],
        "ast_unique_constraint": ["MDB511"],
        "ast_drops": ["MDB507", "MDB507"],
        "ast_renames": ["MDB508", "MDB508"],
        "ast_environment": ["MDB506"],
        "ast_batch": ["MDB502", "MDB501"],
        "ast_helper": ["MDB507"],
        # neither way: the one revision not seen
        "ast_unknown_call": ["MDB601"],
    }


def test_the_summary_prints_the_share_of_revisions_seen(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = run_tool("lint", "--no-cache", str(OFFLINE_TREE), stay_root=False, env=cache)
    assert result.returncode == 1  # the GRANT
    assert "op.* calls seen in 34/35 revisions (97.1%)" in result.stderr


def test_revision_values_without_a_sqlalchemy_literal_renderer_still_render():
    values = [
        None,
        True,
        3,
        decimal.Decimal("1.50"),
        datetime.date(2020, 1, 31),
        uuid.UUID(int=1),
        {"a": [1]},
        ["x", "y'z"],
    ]
    assert [literal_sql(v) for v in values] == [
        "NULL",
        "true",
        "3",
        "1.50",
        "'2020-01-31'",
        "'00000000-0000-0000-0000-000000000001'",
        "'{\"a\": [1]}'",
        "ARRAY['x', 'y''z']",
    ]


def test_a_construct_executed_by_name_in_an_unrenderable_revision_is_seen(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        import not_installed_here  # noqa: F401
        query = users.update().values(name='x')
        op.execute(query)
        """,
        body="users = sa.table('users', sa.column('name'))\n",
    )
    report = tree.lint()
    assert report.findings == []
    assert report.revisions_seen == 1


def test_sql_built_at_run_time_in_an_unrenderable_revision_is_not_checked(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        import not_installed_here
        statement = 'GRANT SELECT ON users TO ' + not_installed_here.ROLE
        op.execute(statement)
        """,
    )
    assert [f.code for f in tree.lint().findings] == ["MDB601"]


def test_rendering_leaves_sqlalchemy_as_it_found_it(tree):
    import sqlalchemy
    from sqlalchemy import sql

    before = (sqlalchemy.select, sqlalchemy.case, sql.select, sql.case)
    had_alias = "sqlalchemy.dialects.postgres" in sys.modules
    tree.revision(
        "a1",
        None,
        upgrade="op.get_bind().execute(sa.select([sa.column('x')]))",
    )
    assert tree.codes() == []
    assert (sqlalchemy.select, sqlalchemy.case, sql.select, sql.case) == before
    assert ("sqlalchemy.dialects.postgres" in sys.modules) == had_alias


def test_op_calls_that_did_not_run_offline_are_read_from_the_source(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        op.execute("SET lock_timeout = '5s'")
        rows = op.get_bind().execute(sa.text('SELECT name FROM legacy_tables')).fetchall()
        for row in rows:  # no rows offline: the loop body never runs
            op.drop_table(row.name)
        if rows:
            op.create_index('users__idx__name', 'users', ['name'])
        """,
    )
    assert [f.code for f in tree.lint().findings] == ["MDB507", "MDB501"]
