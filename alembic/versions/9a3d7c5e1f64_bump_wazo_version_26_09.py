"""Set the platform's version to 26.09 in infos; the downgrade sets 26.08 back.

Revision ID: 9a3d7c5e1f64
Revises: e6f05a2c7b18
Create Date: 2026-09-15 08:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9a3d7c5e1f64"
down_revision = "e6f05a2c7b18"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE infos SET wazo_version = '26.09'")


def downgrade():
    op.execute("UPDATE infos SET wazo_version = '26.08'")
