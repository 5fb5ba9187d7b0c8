"""Move users' mobile phone numbers from userfeatures into user_mobile_phone.

Creates user_mobile_phone (one number per user, deleted with the user), copies every
non-empty userfeatures.mobilephonenumber into it, then drops the column.

The downgrade adds the column back as it was (varchar(128) NOT NULL DEFAULT '', last
column of userfeatures), copies the numbers back and drops the table: users without a
row get '' again, which is what they had, so nothing is lost either way.

Revision ID: 81d4b3e9f2a0
Revises: c2e81f7a0d56
Create Date: 2026-09-01 11:05:52.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "81d4b3e9f2a0"
down_revision = "c2e81f7a0d56"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "user_mobile_phone",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(
                "userfeatures.id",
                name="user_mobile_phone_user_id_fkey",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("number", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="user_mobile_phone_pkey"),
    )
    op.execute(
        "INSERT INTO user_mobile_phone (user_id, number)"
        " SELECT id, mobilephonenumber FROM userfeatures WHERE mobilephonenumber <> ''"
    )
    # The API has read user_mobile_phone since 26.08, so no running code uses the column.
    op.drop_column("userfeatures", "mobilephonenumber")  # manage-db: noqa: MDB507


def downgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "userfeatures",
        sa.Column(
            "mobilephonenumber",
            sa.String(128),
            nullable=False,
            server_default="",
        ),
    )
    op.execute(
        "UPDATE userfeatures SET mobilephonenumber = user_mobile_phone.number"
        " FROM user_mobile_phone WHERE user_mobile_phone.user_id = userfeatures.id"
    )
    op.drop_table("user_mobile_phone")
