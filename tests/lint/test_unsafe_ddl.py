"""MDB501-MDB510: DDL that locks an existing table, and MDB601 (offline-unsafe)."""

from __future__ import annotations

import pytest

from tests.lint.conftest import only

TIMEOUT = "op.execute(\"SET lock_timeout = '5s'\")\n"


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        ("MDB501", "op.create_index('ix', 'users', ['name'])", "SHARE lock"),
        ("MDB501", "op.execute('CREATE INDEX ix ON users (name)')", "SHARE lock"),
        (
            "MDB502",
            "op.add_column('users', sa.Column('x', sa.Integer, nullable=False))",
            "ACCESS EXCLUSIVE",
        ),
        (
            "MDB503",
            "op.execute('ALTER TABLE users ADD COLUMN u uuid DEFAULT gen_random_uuid()')",
            "ACCESS EXCLUSIVE",
        ),
        ("MDB503", "op.execute('ALTER TABLE users ADD COLUMN n serial')", "ACCESS EXCLUSIVE"),
        ("MDB504", "op.alter_column('users', 'name', type_=sa.Text)", "ACCESS EXCLUSIVE"),
        ("MDB505", "op.alter_column('users', 'name', nullable=False)", "ACCESS EXCLUSIVE"),
        (
            "MDB506",
            "op.create_foreign_key('fk', 'users', 'tenant', ['tenant_uuid'], ['uuid'])",
            "SHARE ROW EXCLUSIVE",
        ),
        (
            "MDB506",
            "op.create_check_constraint('ck', 'users', 'length(name) > 0')",
            "ACCESS EXCLUSIVE",
        ),
        ("MDB507", "op.drop_column('users', 'name')", "ACCESS EXCLUSIVE"),
        ("MDB507", "op.drop_table('users')", "ACCESS EXCLUSIVE"),
        ("MDB508", "op.alter_column('users', 'name', new_column_name='label')", "ACCESS EXCLUSIVE"),
        ("MDB508", "op.rename_table('users', 'people')", "ACCESS EXCLUSIVE"),
    ],
)
def test_unsafe_ddl_on_an_existing_table_warns_and_names_the_lock(tree, code, upgrade, lock):
    tree.revision("a1", None, upgrade=TIMEOUT + upgrade)
    findings = tree.lint().findings
    assert [f.code for f in findings] == [code]
    assert findings[0].severity == "warning"
    assert lock in findings[0].message


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.create_index('ix', 'users', ['name'], postgresql_concurrently=True)",
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=False, server_default='0'))",
        "op.add_column('users', sa.Column('x', sa.Integer, nullable=True))",
        "op.execute('ALTER TABLE users ADD COLUMN at timestamptz DEFAULT now()')",
        "op.execute('ALTER TABLE users ADD CONSTRAINT f FOREIGN KEY (t) REFERENCES t NOT VALID')",
        "op.execute('ALTER TABLE users ADD CONSTRAINT ck CHECK (x > 0) NOT VALID')",
        "op.execute('ALTER TABLE users VALIDATE CONSTRAINT ck')",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    if "concurrently" in upgrade:
        upgrade = f"with op.get_context().autocommit_block():\n    {upgrade}"
    tree.revision("a1", None, upgrade=TIMEOUT + upgrade)
    assert tree.codes() == []


def test_tables_created_in_the_same_revision_are_not_existing(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        op.create_table('foo', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('tenant_uuid', sa.String(36), nullable=False))
        op.create_index('foo__idx__tenant', 'foo', ['tenant_uuid'])
        op.create_foreign_key('fk', 'foo', 'tenant', ['tenant_uuid'], ['uuid'])
        op.add_column('foo', sa.Column('x', sa.Integer, nullable=False))
        op.execute('CREATE TABLE bar (id int); CREATE INDEX bar_ix ON bar (id)')
        op.execute('ALTER TABLE bar ALTER COLUMN id SET NOT NULL')
        """,
    )
    assert tree.codes() == []


def test_a_baseline_dump_of_fresh_tables_does_not_warn_but_an_alter_of_others_does(tree):
    tree.write(
        "sql/dump.sql",
        """
        CREATE TABLE t (id int);
        CREATE INDEX t_ix ON t (id);
        ALTER TABLE ONLY t ADD CONSTRAINT t_fk FOREIGN KEY (id) REFERENCES u (id);
        CREATE INDEX users_ix ON users (name);
        """,
    )
    assert tree.codes() == ["MDB501", "MDB510"]


def test_concurrently_inside_the_migration_transaction_is_an_error(tree):
    tree.revision("a1", None, upgrade="op.execute('CREATE INDEX CONCURRENTLY ix ON users (name)')")
    (finding,) = only(tree.lint(), "MDB509")
    assert finding.severity == "error"


def test_concurrently_inside_an_autocommit_block_is_fine(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "with op.get_context().autocommit_block():\n"
        + "    op.execute('CREATE INDEX CONCURRENTLY ix ON users (name)')",
    )
    assert tree.codes() == []


def test_missing_lock_timeout_is_reported_once_per_revision(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.add_column('users', sa.Column('x', sa.Integer))\n"
        "op.add_column('users', sa.Column('y', sa.Integer))",
    )
    (finding,) = only(tree.lint(), "MDB510")
    assert "ACCESS EXCLUSIVE" in finding.message and "users" in finding.message


def test_lock_timeout_set_later_does_not_cover_earlier_statements(tree):
    tree.revision(
        "a1", None, upgrade="op.add_column('users', sa.Column('x', sa.Integer))\n" + TIMEOUT
    )
    assert tree.codes() == ["MDB510"]


def test_get_bind_is_an_info_finding_and_does_not_fail(tree):
    tree.revision(
        "a1",
        None,
        upgrade="conn = op.get_bind()\nconn.execute(sa.text('UPDATE users SET name = lower(x)'))",
    )
    report = tree.lint()
    assert [(f.code, f.severity) for f in report.findings] == [("MDB601", "info")]
    assert not report.failed(strict=True)


def test_a_revision_that_fails_offline_falls_back_to_its_sql_strings(tree):
    tree.revision(
        "a1",
        None,
        upgrade="""
        rows = op.get_bind().execute(sa.text('SELECT id FROM users')).fetchall()
        op.execute('GRANT ALL ON users TO asterisk')
        """,
    )
    codes = tree.codes()
    assert "MDB101" in codes and "MDB601" in codes


@pytest.mark.parametrize(
    "setting",
    ["SET LOCAL lock_timeout TO 5000", "SELECT set_config('lock_timeout', '5s', true)"],
)
def test_other_ways_to_set_lock_timeout_count(tree, setting):
    tree.revision(
        "a1",
        None,
        upgrade=f"op.execute({setting!r})\nop.add_column('users', sa.Column('x', sa.Integer))",
    )
    assert tree.codes() == []


def test_lock_timeout_set_to_zero_does_not_count(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.execute('SET lock_timeout = 0')\n"
        "op.add_column('users', sa.Column('x', sa.Integer))",
    )
    assert tree.codes() == ["MDB510"]


def test_a_revision_that_prints_does_not_pollute_the_output(tree, capsys):
    tree.revision("a1", None, upgrade="print('hello')", body="print('loading')\n")
    assert tree.codes() == []
    assert capsys.readouterr().out == ""
