"""Set the platform's version to 26.09 in infos; the downgrade sets 26.08 back.

Revision ID: 9a3d7c5e1f64
Revises: e6f05a2c7b18
Create Date: 2026-09-15 08:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9a3d7c5e1f64"
down_revision = "e6f05a2c7b18"
branch_labels = None
depends_on = None


# The platform's version, recorded in infos at each release (`revision --wazo-version` reads
# these to write the next bump).
wazo_version = "26.09"
previous_wazo_version = "26.08"


def upgrade():
    op.execute(sa.text("UPDATE infos SET wazo_version = :version").bindparams(version=wazo_version))


def downgrade():
    op.execute(
        sa.text("UPDATE infos SET wazo_version = :version").bindparams(
            version=previous_wazo_version
        )
    )
