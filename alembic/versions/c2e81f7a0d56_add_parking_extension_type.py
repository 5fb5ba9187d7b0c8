"""Add 'parking' to extenumbers_type, for parking lot extensions.

ALTER TYPE ... ADD VALUE may run inside the migration's transaction on PostgreSQL 12
and later, as long as nothing in the same transaction uses the new value.

PostgreSQL cannot remove an enum value, so the downgrade rebuilds the type: rename
the current one away, create extenumbers_type again with its previous labels in their
previous order, move extensions.type onto it, drop the old type and restore the type's
comment. Parking extensions have no meaning before this revision: they are deleted.

Revision ID: c2e81f7a0d56
Revises: 5b90e6d13c4a
Create Date: 2026-08-25 16:21:37.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c2e81f7a0d56"
down_revision = "5b90e6d13c4a"
branch_labels = None
depends_on = None

PREVIOUS_LABELS = (
    "extenfeatures",
    "featuremap",
    "generalfeatures",
    "group",
    "incall",
    "outcall",
    "queue",
    "user",
    "voicemenu",
    "conference",
)
TYPE_COMMENT = "What an extension number leads to."


def upgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("ALTER TYPE extenumbers_type ADD VALUE 'parking'")


def downgrade():
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("DELETE FROM extensions WHERE type = 'parking'")
    op.execute("ALTER TYPE extenumbers_type RENAME TO extenumbers_type_with_parking")
    labels = ", ".join(f"'{label}'" for label in PREVIOUS_LABELS)
    op.execute(f"CREATE TYPE extenumbers_type AS ENUM ({labels})")
    op.execute(
        "ALTER TABLE extensions ALTER COLUMN type TYPE extenumbers_type"
        " USING type::text::extenumbers_type"
    )
    op.execute("DROP TYPE extenumbers_type_with_parking")
    op.execute(f"COMMENT ON TYPE extenumbers_type IS '{TYPE_COMMENT}'")
