"""How the applied history is told: ``log`` as text (newest first) or JSON, ``repair``'s lines."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from manage_db.history_model import HistoryEntry


def _json_entry(component: str, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "component": component,
        "id": entry.id,
        "revision": entry.revision,
        "direction": entry.direction,
        "started_at": entry.started_at.isoformat(),
        "duration": entry.duration,
        "checksum": entry.checksum,
        "transactional": entry.transactional,
        "db_role": entry.db_role,
        "os_user": entry.os_user,
        "host": entry.host,
        "tool_version": entry.tool_version,
        "outcome": entry.outcome,
        "error": entry.error,
    }


def render_log(history: Mapping[str, Sequence[HistoryEntry]], as_json: bool = False) -> str:
    """Each component's rows, newest first: one line each, or one JSON list for all."""
    if as_json:
        return json.dumps(
            [_json_entry(name, e) for name, entries in history.items() for e in entries],
            indent=2,
        )
    lines = []
    for name, entries in history.items():
        if not entries:
            lines.append(f"{name}: no applied history yet")
        for e in entries:
            duration = "-" if e.duration is None else f"{e.duration:.3f}s"
            mode = "" if e.transactional else " (no transaction)"
            checksum = (e.checksum or "-")[:12]
            line = (
                f"{name}: {e.started_at:%Y-%m-%d %H:%M:%S%z} {e.direction} {e.revision} "
                f"{e.outcome}{mode} {duration} checksum {checksum} "
                f"by {e.db_role} ({e.os_user}@{e.host}, wazo-manage-db {e.tool_version})"
            )
            if e.error:
                line += f": {e.error}"
            lines.append(line)
    return "\n".join(lines)


def render_repaired(component: str, repaired: Sequence[Any]) -> str:
    """One line per revision repair recorded."""
    return "\n".join(
        f"{component}: {r.revision}: checksum recorded"
        + (f" (was {r.reason})" if r.reason else " (nothing was wrong)")
        for r in repaired
    )
