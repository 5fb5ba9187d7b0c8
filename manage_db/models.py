"""Plain records shared by services, daos and notifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from manage_db.timeouts import SessionTimeouts

if TYPE_CHECKING:  # an annotation only: not loaded at every start-up
    from manage_db.replication.model import ServerRole


@dataclass(frozen=True)
class Component:
    """One alembic tree, the database (or schema) it lives in and the role that owns it."""

    name: str
    script_location: Path
    database: str
    owner: str
    version_table: str = "alembic_version"
    # Full owner URI when the component lives on another server; None: the configured server.
    uri: str | None = None
    # Superuser URI for init when the component lives on another server.
    admin_uri: str | None = None
    password: str | None = None
    password_file: Path | None = None
    schema: str | None = None
    extensions: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    # Its per-component settings, resolved once by the registry: global < plugin < config.
    timeouts: SessionTimeouts = field(default_factory=SessionTimeouts)
    # The SQLAlchemy models of the component's daemon, ``MODULE:ATTR`` (check-models).
    models: str | None = None
    # Its own ``verify:`` mapping (a plugin's, refined by the config entry), as sorted pairs.
    verify: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class StatusRow:
    """Where one component stands."""

    component: str
    database: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    error: str | None = None
    exit_code: int = 0
    # The server the row was read from (status --json): a primary and its standbys, or a standby.
    server: ServerRole | None = None

    @property
    def at_head(self) -> bool:
        return self.error is None and set(self.current) == set(self.heads)


@dataclass
class RunResult:
    """What one command did to one component, for the summary table."""

    component: str
    # What the database was at before / after; None: it was not read (never reached).
    before: tuple[str, ...] | None = None
    after: tuple[str, ...] | None = None
    result: str = "ok"  # ok, failed, skipped
    message: str = ""
    applied: list[str] = field(default_factory=list)
    duration: float | None = None  # seconds the operation took, when it ran


@dataclass(frozen=True)
class TreeRevision:
    """One revision of a tree as ``heads`` and ``history`` show it."""

    component: str
    revision: str
    down_revisions: tuple[str, ...]
    message: str
    head: bool
