"""What statements before a statement did: tables created in the same revision or file."""

from __future__ import annotations


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
