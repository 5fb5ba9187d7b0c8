"""How replication is told: progress of a wait on the console (stderr), a server in JSON."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from manage_db.replication.model import ServerRole, Standby


def size(count: int | None) -> str:
    """Bytes as people read them (``12.0 kB``); ``?`` when not known."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def lag(standby: Standby) -> str:
    """``walreceiver (127.0.0.1:5433) 1.2 kB behind, 0.4 s``."""
    seconds = f", {standby.replay_lag:.1f} s" if standby.replay_lag is not None else ""
    if standby.behind_bytes is None:
        return f"{standby.label} position not visible (needs pg_monitor){seconds}"
    return f"{standby.label} {size(standby.behind_bytes)} behind{seconds}"


def progress(component: str, caught_up: int, needed: int, lagging: Sequence[Standby]) -> None:
    """One console line while the standbys replay."""
    behind = "; ".join(lag(s) for s in lagging)
    line = f"{component}: {caught_up}/{needed} standbys replayed the upgrade"
    print(f"wazo-manage-db: {line}" + (f" (waiting: {behind})" if behind else ""), file=sys.stderr)
    sys.stderr.flush()


def reader_notice(role: ServerRole) -> str:
    """What a read on a standby says about it."""
    seconds = "?" if role.replay_lag is None else f"{role.replay_lag:.1f} s"
    return (
        f"reading from a standby, {role.address}: replay lag {seconds} "
        f"({size(role.unreplayed_bytes)} received, not replayed)"
    )


def replication_line(role: ServerRole) -> str:
    """``replication: ...``: the lag a plan reads now (a primary's standbys, or a standby's own)."""
    if role.standby:
        return "replication: " + reader_notice(role)
    if not role.standbys:
        return f"replication: primary {role.address}, no standby streaming"
    count = len(role.standbys)
    lags = "; ".join(lag(s) for s in role.standbys)
    return f"replication: primary {role.address}, {count} standby(s): {lags}"


def server_json(role: ServerRole) -> dict[str, Any]:
    """A server as ``status --json`` shows it."""
    shown: dict[str, Any] = {"host": role.host, "port": role.port, "standby": role.standby}
    if role.standby:
        shown["replay_lag_seconds"] = role.replay_lag
        shown["unreplayed_bytes"] = role.unreplayed_bytes
    else:
        shown["standbys"] = [
            {
                "name": s.name,
                "address": s.address,
                "state": s.state,
                "replay_lag_bytes": s.behind_bytes,
                "replay_lag_seconds": s.replay_lag,
            }
            for s in role.standbys
        ]
    return shown
