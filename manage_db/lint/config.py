"""The ``lint:`` configuration section, checked before a run (a validator)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from manage_db.config import KEYS
from manage_db.errors import ConfigError
from manage_db.lint.manifest import DEFAULT_NAME
from manage_db.lint.model import SEVERITIES

# The ``lint.*`` settings' defaults, as declared in config.KEYS.
DEFAULTS: dict[str, Any] = {
    name.partition(".")[2]: key.default for name, key in KEYS.items() if name.startswith("lint.")
}


@dataclass(frozen=True)
class LintSettings:
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)  # code -> overridden severity
    manifest: str = DEFAULT_NAME
    cache: bool = True


def settings_from(
    section: Mapping[str, Any] | None, extra_ignore: tuple[str, ...] = ()
) -> LintSettings:
    """Validate the ``lint:`` section (merged over :data:`DEFAULTS`)."""
    from manage_db.lint.rules import resolve_code

    values = {**DEFAULTS, **(section or {})}
    ignore = set()
    for word in [*values["ignore"], *extra_ignore]:
        code = resolve_code(str(word))
        if code is None:
            raise ConfigError(f"lint.ignore: unknown rule {word!r}")
        ignore.add(code)
    downgrade = str(values["downgrade_severity"]).lower()
    if downgrade == "off":
        ignore.add("MDB301")
    elif downgrade not in SEVERITIES:
        raise ConfigError(
            f"lint.downgrade_severity: {downgrade!r} is not one of error, warning, info, off"
        )
    manifest = str(values["manifest"])
    if not manifest or manifest.startswith("/") or ".." in manifest.split("/"):
        raise ConfigError(f"lint.manifest: {manifest!r} must be a file name inside the tree")
    return LintSettings(
        ignore=frozenset(ignore),
        severity={"MDB301": downgrade} if downgrade != "off" else {},
        manifest=manifest,
        cache=bool(values["cache"]),
    )
