"""Index userfeatures.voicemailid, the foreign key to voicemail.

Deleting a voicemail sets the users' voicemailid to NULL, which scanned all of
userfeatures without this index. The index is built CONCURRENTLY, outside the
migration's transaction, so users stay writable while it builds; the downgrade
drops it concurrently too.

Revision ID: 5b90e6d13c4a
Revises: a47d2c81e0f3
Create Date: 2026-08-18 09:40:05.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5b90e6d13c4a"
down_revision = "a47d2c81e0f3"
branch_labels = None
depends_on = None

INDEX = "userfeatures__idx__voicemailid"


def upgrade():
    with op.get_context().autocommit_block():
        # Session-level: SET LOCAL has no effect outside a transaction block.
        op.execute("SET lock_timeout = '5s'")
        # A failed concurrent build leaves an invalid index behind: drop it so a retry works.
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        op.create_index(INDEX, "userfeatures", ["voicemailid"], postgresql_concurrently=True)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '5s'")
        op.drop_index(INDEX, table_name="userfeatures", postgresql_concurrently=True)
        op.execute("RESET lock_timeout")
