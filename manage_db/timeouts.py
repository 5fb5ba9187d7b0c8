"""How long one component's migration may wait: for another run's lock, for a table lock, on one
statement, on a silent server.

The settings are declared in ``config.KEYS`` (``per_component=True``: global, and per component
in the config or a plugin's mapping); the registry resolves them once per component into this
record (``Component.timeouts``), which the services receive.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from manage_db.config import KEYS


@dataclass(frozen=True)
class SessionTimeouts:
    """The limits of one component's run (the defaults: the declaration's)."""

    lock_timeout: float = KEYS["lock_timeout"].default
    statement_timeout: float = KEYS["statement_timeout"].default
    lock_retries: int = KEYS["lock_retries"].default
    server_timeout: float = KEYS["server_timeout"].default
    lock_wait: float = KEYS["lock_wait"].default
    # Seconds a run that changed the database waits for the standbys to replay it (docs/ha.md).
    replica_wait: float = KEYS["replica_wait"].default

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> SessionTimeouts:
        """The record of a component's resolved per-component settings
        (``config.component_values``)."""
        return cls(**{f.name: values[f.name] for f in fields(cls)})
