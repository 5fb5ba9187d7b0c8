"""The one migration runtime: every way wazo-manage-db drives alembic goes through this package.

Only modules here import alembic; private alembic API is confined to ``compat``.
"""
