"""A stock daemon-style tree and a database full of rows the pending revisions would fail on."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from pgtest import REPO, admin_execute, server_settings, throwaway_names, with_db

STOCK_ENV = REPO / "tests" / "fixtures" / "daemons" / "dird" / "alembic"

BASELINE = """
op.create_table(
    'tenant',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('name', sa.String(64)),
)
op.create_table(
    'person',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(128)),
    sa.Column('tenant_id', sa.Integer()),
)
"""
# The pending revisions of the example: each one meets the rows it would fail on.
PENDING = [
    ("b2_email_not_null", "op.alter_column('person', 'email', nullable=False)"),
    (
        "b3_email_unique",
        "op.create_index('person_email_key', 'person', ['email'], unique=True)",
    ),
    (
        "b4_tenant_fk",
        "op.create_foreign_key('person_tenant_fkey', 'person', 'tenant', ['tenant_id'], ['id'])",
    ),
    (
        "b5_token",
        "op.add_column('person', sa.Column('token', sa.String(36),"
        " server_default=sa.text('gen_random_uuid()::text')))",
    ),
]


def write_tree(root: Path, revisions: list[tuple[str, str]]) -> Path:
    """A stock tree (dird's env.py, version table chatd_alembic_version) of linear revisions."""
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    env = (STOCK_ENV / "env.py").read_text()
    (location / "env.py").write_text(env.replace("alembic_version_dird", "chatd_alembic_version"))
    shutil.copy(STOCK_ENV / "script.py.mako", location)
    down = None
    for rev, body in revisions:
        (location / "versions" / f"{rev}.py").write_text(
            f'"""{rev.replace("_", " ")}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            "def downgrade():\n    pass\n"
        )
        down = rev
    return location


def plan_component(pg_admin_uri, cleanup, write_config, tmp_path, revisions=None, **extra):
    """Config of one component 'people' in a database of its own; returns (config, names)."""
    role, database = throwaway_names(cleanup, "t_people")
    location = write_tree(tmp_path, [("b1_baseline", BASELINE), *(revisions or PENDING)])
    people = {
        "script_location": str(location),
        "database": database,
        "owner": role,
        "password": "secret",
        "version_table": "chatd_alembic_version",
    }
    config = write_config(
        {**server_settings(pg_admin_uri, role, database, "secret", people=people), **extra}
    )
    names = {"role": role, "database": database, "location": location}
    names["owner_uri"] = with_db(pg_admin_uri, database, role, "secret")
    names["admin_uri"] = with_db(pg_admin_uri, database)
    return config, names


def fill_people(admin_uri: str) -> None:
    """20,000 people: 200 NULL emails, 50 emails used twice, 30 people of missing tenants."""
    admin_execute(
        admin_uri,
        "INSERT INTO tenant (id, name) SELECT g, 't' || g FROM generate_series(1, 10) g",
        "INSERT INTO person (id, email, tenant_id) SELECT g,"
        " CASE WHEN g <= 200 THEN NULL"
        " WHEN g <= 250 THEN 'dup' || g || '@example.com'"
        " WHEN g <= 300 THEN 'dup' || (g - 50) || '@example.com'"
        " ELSE 'p' || g || '@example.com' END,"
        " CASE WHEN g > 19970 THEN 99 ELSE g % 10 + 1 END"
        " FROM generate_series(1, 20000) g",
        "ANALYZE tenant",
        "ANALYZE person",
    )
