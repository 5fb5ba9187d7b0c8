"""Alembic environment of the platform tree: all the work is in manage_db.runtime.platform_env."""

from alembic import context

from manage_db.runtime.platform_env import run_migrations

run_migrations(context)
