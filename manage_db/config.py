"""Configuration: built-in defaults < config.yml < conf.d/*.yml < environment < command line.

The platform's rules: conf.d files are read in alphabetical order and the first file that sets a
key wins; names starting with a dot or not ending in ``.yml`` are ignored. Every layer is checked
against the schema below before it is merged, so an error names the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from manage_db.errors import ConfigError
from manage_db.timeouts import check_timeouts

DEFAULT_CONFIG_FILE = "/etc/wazo-manage-db/config.yml"
INSTALLED_TREE = Path("/usr/share/wazo-manage-db")
PLATFORM_EXTENSIONS = ["uuid-ossp", "unaccent", "pgcrypto", "hstore"]


def _platform_tree() -> str:
    """The platform tree: the checkout this package runs from, else the installed copy."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "alembic.ini").is_file() and (checkout / "alembic" / "env.py").is_file():
        return str(checkout / "alembic")
    return str(INSTALLED_TREE / "alembic")


_DEFAULT_CONFIG: dict[str, Any] = {
    "config_file": DEFAULT_CONFIG_FILE,
    "extra_config_files": "/etc/wazo-manage-db/conf.d",
    "debug": False,
    "log_level": "info",
    "log_file": "/var/log/wazo-manage-db.log",
    "user": "wazo-manage-db",
    # The owner connection of the platform database; other components reuse its host and port.
    "db_uri": "postgresql://asterisk:proformatique@localhost:5432/asterisk",
    # Superuser connection for init; empty: the postgres OS user over the Unix socket (peer auth).
    "admin_uri": None,
    "socket_dir": "/var/run/postgresql",
    "server_wait": 10.0,
    "lock_wait": 300.0,
    # Migration session limits (manage_db/timeouts.py), also settable per component.
    "lock_timeout": 5.0,
    "statement_timeout": 0.0,
    "lock_retries": 3,
    "server_timeout": 30.0,
    "skip_database_setup": False,
    "plugins": True,
    "components": {
        "asterisk": {
            "script_location": _platform_tree(),
            "version_table": "alembic_version",
            "extensions": list(PLATFORM_EXTENSIONS),
        },
    },
    "lint": {
        "ignore": [],
        "downgrade_severity": "warning",
    },
    "verify": {},
}

# The schema: a type per key; a dict means a nested section; None allows any value of that type.
_COMPONENT_SCHEMA: dict[str, Any] = {
    "enabled": bool,
    "script_location": str,
    "database": str,
    "uri": str,
    "admin_uri": str,
    "owner": str,
    "password": str,
    "password_file": str,
    "schema": str,
    "version_table": str,
    "extensions": list,
    "depends_on": list,
    # Migration session limits (manage_db/timeouts.py).
    "lock_timeout": (int, float),
    "statement_timeout": (int, float),
    "lock_retries": int,
    "server_timeout": (int, float),
}
_SCHEMA: dict[str, Any] = {
    "config_file": str,
    "extra_config_files": str,
    "debug": bool,
    "log_level": str,
    "log_file": str,
    "user": str,
    "db_uri": str,
    "admin_uri": str,
    "socket_dir": str,
    "server_wait": (int, float),
    "lock_wait": (int, float),
    "lock_timeout": (int, float),
    "statement_timeout": (int, float),
    "lock_retries": int,
    "server_timeout": (int, float),
    "skip_database_setup": bool,
    "plugins": bool,
    "components": {"*": _COMPONENT_SCHEMA},
    "lint": {"ignore": list, "downgrade_severity": str, "manifest": str, "cache": bool},
    "verify": {"reference": str, "seed": str, "seed_before": str},
}
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Old names still accepted on the command line and in files.
_ALIASES = {"pg_db_uri": "admin_uri"}


def _type_name(expected: Any) -> str:
    if isinstance(expected, tuple):
        return " or ".join(t.__name__ for t in expected)
    return "a mapping" if isinstance(expected, dict) else expected.__name__


def validate(layer: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check one configuration layer against the schema; return it with old key names renamed."""
    if not isinstance(layer, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping, not {type(layer).__name__}")
    layer = {_ALIASES.get(k, k): v for k, v in layer.items()}
    _check(layer, _SCHEMA, source, "")
    check_timeouts(layer, source)
    level = layer.get("log_level")
    if level is not None and str(level).lower() not in LOG_LEVELS:
        raise ConfigError(f"{source}: log_level: {level!r} is not one of {', '.join(LOG_LEVELS)}")
    return layer


def _check(layer: Mapping[str, Any], schema: Mapping[str, Any], source: str, prefix: str) -> None:
    for key, value in layer.items():
        path = f"{prefix}{key}"
        expected = schema.get(key, schema.get("*"))
        if expected is None:
            raise ConfigError(f"{source}: unknown key '{path}'")
        if value is None:
            continue
        if isinstance(expected, dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: '{path}' must be a mapping")
            _check(value, expected, source, path + ".")
        elif not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(
                f"{source}: '{path}' must be {_type_name(expected)}, not {type(value).__name__}"
            )


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML file; an empty file is an empty layer."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from error
    return validate(data or {}, str(path))


def conf_d_files(directory: Path) -> list[Path]:
    """The conf.d files that count, in the order they are read."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.endswith(".yml") and not p.name.startswith(".") and p.is_file()
    )


def merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge layers, the first one that sets a key winning; mappings merge key by key."""
    result: dict[str, Any] = {}
    for layer in reversed(layers):
        for key, value in layer.items():
            if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
                result[key] = merge(value, result[key])
            else:
                result[key] = value
    return result


def load_settings(
    config_file: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the settings of one run from every layer.

    ``config_file`` None means the default path, which may be missing; a file given explicitly
    must exist. ``overrides`` are the command-line values (None values are ignored).
    """
    environ = os.environ if environ is None else environ
    cli_layer = validate(
        {k: v for k, v in (overrides or {}).items() if v is not None}, "command line"
    )
    env_layer: dict[str, Any] = {}
    if environ.get("ALEMBIC_DB_URI"):
        env_layer["db_uri"] = environ["ALEMBIC_DB_URI"]

    path = Path(config_file or DEFAULT_CONFIG_FILE)
    if config_file is not None and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    file_layer = read_yaml(path) if path.is_file() else {}

    extra_dir = Path(
        cli_layer.get("extra_config_files")
        or file_layer.get("extra_config_files")
        or _DEFAULT_CONFIG["extra_config_files"]
    )
    if config_file is not None and "extra_config_files" not in file_layer:
        # An explicit config file brings its own conf.d beside it, not the system one.
        extra_dir = path.parent / "conf.d"
    extra_layers = [read_yaml(p) for p in conf_d_files(extra_dir)]

    settings = merge(cli_layer, env_layer, *extra_layers, file_layer, _DEFAULT_CONFIG)
    settings["config_file"] = str(path)
    settings["extra_config_files"] = str(extra_dir)
    settings["log_level"] = str(settings["log_level"]).lower()
    if settings.get("debug"):
        settings["log_level"] = "debug"
    return settings
