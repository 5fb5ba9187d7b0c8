"""The platform's identity, as the platform database's ``infos`` table records it."""

from __future__ import annotations

from manage_db.dao.connection import connect


def platform_uuid(uri: str) -> str | None:
    """``infos.uuid`` of the platform database; None when it has no such table or row yet."""
    conn = connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('infos') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT uuid::text FROM infos LIMIT 1")
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()
