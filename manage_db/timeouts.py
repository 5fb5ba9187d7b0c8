"""How long a migration session may wait: for a table lock, on one statement, on a silent server.

Four configuration keys, global and per component (a component's own value wins):
``lock_timeout`` (seconds, default 5), ``statement_timeout`` (seconds, 0 = none),
``lock_retries`` (attempts after the first, default 3) and ``server_timeout`` (seconds without an
answer from the server before the run ends, default 30).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEYS = ("lock_timeout", "statement_timeout", "lock_retries", "server_timeout")


@dataclass(frozen=True)
class SessionTimeouts:
    """The limits of one component's migration session."""

    lock_timeout: float = 5.0
    statement_timeout: float = 0.0
    lock_retries: int = 3
    server_timeout: float = 30.0


def timeouts_for(settings: Mapping[str, Any], component: str) -> SessionTimeouts:
    """The limits for ``component``: its own keys, else the global ones, else the defaults."""
    own = (settings.get("components") or {}).get(component) or {}
    defaults = SessionTimeouts()
    values = {}
    for key in KEYS:
        value = own.get(key)
        if value is None:
            value = settings.get(key)
        values[key] = getattr(defaults, key) if value is None else value
    return SessionTimeouts(
        lock_timeout=float(values["lock_timeout"]),
        statement_timeout=float(values["statement_timeout"]),
        lock_retries=int(values["lock_retries"]),
        server_timeout=float(values["server_timeout"]),
    )
