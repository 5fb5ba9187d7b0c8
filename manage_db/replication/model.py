"""Records of replication: a standby seen from its primary, the server a connection reached."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Standby:
    """One standby streaming from the primary (a row of ``pg_stat_replication``).

    ``behind_bytes``: WAL between the position waited for (or the primary's current one) and
    what the standby has replayed; None when the role asking may not see it or the standby has
    not reported yet. ``replay_lag``: the server's own estimate, in seconds.
    """

    name: str
    address: str
    state: str | None
    behind_bytes: int | None
    replay_lag: float | None

    @property
    def label(self) -> str:
        return f"{self.name or 'standby'} ({self.address})"

    @property
    def caught_up(self) -> bool:
        return self.behind_bytes == 0


@dataclass(frozen=True)
class ServerRole:
    """The server a connection reached: a primary with its standbys, or a standby and how far
    its replay is behind (seconds since the last transaction it replayed; bytes received and
    not yet replayed)."""

    host: str
    port: str
    standby: bool
    replay_lag: float | None = None
    unreplayed_bytes: int | None = None
    standbys: tuple[Standby, ...] = field(default_factory=tuple)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
