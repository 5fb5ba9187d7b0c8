"""Add linefeatures.registrar, the registrar a line's device registers to.

Existing lines get the 'default' registrar through the server default, so the
column can be NOT NULL from the start. The downgrade drops the column.

Revision ID: a47d2c81e0f3
Revises: 3f1c0e5a9b27
Create Date: 2026-08-11 14:02:19.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a47d2c81e0f3"
down_revision = "3f1c0e5a9b27"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "linefeatures",
        sa.Column(
            "registrar",
            sa.String(128),
            nullable=False,
            server_default="default",
        ),
    )


def downgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_column("linefeatures", "registrar")
