"""Rename groupfeatures.timeout to ring_timeout, the name the API already uses.

A rename only touches the catalog: no rewrite, no data moved. The downgrade renames
it back.

Revision ID: e6f05a2c7b18
Revises: 81d4b3e9f2a0
Create Date: 2026-09-08 15:48:10.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e6f05a2c7b18"
down_revision = "81d4b3e9f2a0"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    # groupfeatures is a small configuration table; the lock_timeout above bounds the wait.
    op.alter_column(  # manage-db: noqa: MDB508
        "groupfeatures", "timeout", new_column_name="ring_timeout"
    )


def downgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.alter_column("groupfeatures", "ring_timeout", new_column_name="timeout")
