"""What the platform tree's env.py runs: connect as configured, then run the migrations.

The URL comes from wazo-manage-db when it drives the tree, else from ``ALEMBIC_DB_URI`` (as every
Wazo env.py reads it), else from alembic.ini, else from wazo-manage-db's configuration files.
"""

from __future__ import annotations

import os
from typing import Any

from manage_db.runtime.session import sqlalchemy_url


def _url(config: Any, options: dict[str, Any]) -> str:
    url = (
        options.get("url")
        or os.environ.get("ALEMBIC_DB_URI")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        from manage_db.config import load_settings

        url = load_settings()["db_uri"]
    return sqlalchemy_url(url)


def run_migrations(context: Any) -> None:
    """Run the migrations online (one transaction per revision) or render them offline.

    Driven by wazo-manage-db, the runtime adds its per-step callbacks to ``configure()``.
    """
    config = context.config
    options = config.attributes.get("manage_db", {})
    url = _url(config, options)
    common = {
        "version_table": options.get("version_table") or "alembic_version",
        "version_table_schema": options.get("schema"),
        "transaction_per_migration": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **common)
        with context.begin_transaction():
            context.run_migrations()
        return

    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **common)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
