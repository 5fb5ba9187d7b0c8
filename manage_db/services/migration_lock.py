"""The component's migration lock: one advisory lock per version table, taken by polling.

A module of its own, importing no alembic: the upgrade with nothing to do takes it too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from manage_db.dao import locks
from manage_db.dao.connection import connect
from manage_db.errors import LockTimeout
from manage_db.models import Component

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def migration_lock(
    component: Component, owner_uri: str, wait: float, server_wait: float = 0.0
) -> Iterator[Any]:
    """Hold the component's advisory lock; yield the (autocommit) connection holding it.

    Every run that takes it writes (upgrade, downgrade, stamp, repair): on a primary only.
    """
    conn = connect(owner_uri, wait=server_wait, writes=True)
    try:
        key = locks.lock_key(component.version_table, component.schema)
        if not locks.try_lock(conn, key):
            logger.info("%s: waiting for another migration run to finish", component.name)
            if not locks.wait_for_lock(conn, key, wait):
                raise LockTimeout(
                    f"{component.name}: another process held the migration lock for more "
                    f"than {wait:g} s"
                )
        try:
            yield conn
        finally:
            locks.unlock(conn, key)
    finally:
        conn.close()
