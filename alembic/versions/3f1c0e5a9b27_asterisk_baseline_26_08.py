"""Asterisk baseline at Wazo 26.08: the squashed history, run from a SQL dump.

Creates the core telephony schema (infos, tenant, context, extensions, voicemail,
userfeatures, linefeatures, user_line, groupfeatures, queue, incall and the func_key
tables), the extenumbers_type and queue_category enums, the function and trigger that
derive a user's caller id, seed rows, and the single `infos` row with the platform uuid
and wazo_version 26.08. The dump lives in alembic/sql/asterisk_baseline_26.08.sql.

The downgrade drops every object the dump created, leaving an empty schema.

Revision ID: 3f1c0e5a9b27
Revises:
Create Date: 2026-08-03 10:12:44.000000

"""

from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = "3f1c0e5a9b27"
down_revision = None
branch_labels = None
depends_on = None

SQL_DUMP = Path(__file__).resolve().parents[1] / "sql" / "asterisk_baseline_26.08.sql"

# Children before parents, so no CASCADE is needed and nothing unexpected goes with them.
TABLES = (
    "func_key_dest_user",
    "func_key",
    "func_key_destination_type",
    "func_key_type",
    "incall",
    "queue",
    "groupfeatures",
    "user_line",
    "linefeatures",
    "userfeatures",
    "voicemail",
    "extensions",
    "context",
    "tenant",
    "infos",
)
FUNCTIONS = ("userfeatures_default_callerid()",)
TYPES = ("queue_category", "extenumbers_type")


def upgrade():
    op.execute(SQL_DUMP.read_text(encoding="utf-8"))


def downgrade():
    for table in TABLES:
        op.execute(f"DROP TABLE {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
    for type_name in TYPES:
        op.execute(f"DROP TYPE {type_name}")
