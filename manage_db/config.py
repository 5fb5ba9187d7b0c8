"""Configuration: built-in defaults < config.yml < conf.d/*.yml < environment < command line.

The platform's rules: conf.d files are read in alphabetical order and the first file that sets a
key wins; names starting with a dot or not ending in ``.yml`` are ignored. Every layer is checked
against the schema below before it is merged, so an error names the file and the key.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from manage_db.errors import ConfigError

DEFAULT_CONFIG_FILE = "/etc/wazo-manage-db/config.yml"
INSTALLED_TREE = Path("/usr/share/wazo-manage-db")
PLATFORM_EXTENSIONS = ["uuid-ossp", "unaccent", "pgcrypto", "hstore"]


def _platform_tree() -> str:
    """The platform tree: the checkout this package runs from, else the copy a wheel carries
    (``manage_db/platform``), else the .deb's."""
    package = Path(__file__).resolve().parent
    for root in (package.parent, package / "platform"):
        if (root / "alembic.ini").is_file() and (root / "alembic" / "env.py").is_file():
            return str(root / "alembic")
    return str(INSTALLED_TREE / "alembic")


@dataclass(frozen=True)
class Key:
    """One configuration key: its default, the type a file may give it, and a check of its value.

    ``kind``: a type or tuple of types; ``list[str]``-like checks use ``items``. ``check`` returns
    a problem (a phrase) or None.
    """

    default: Any
    kind: Any
    items: type | None = None
    check: Callable[[Any], str | None] | None = None


def _non_negative(value: Any) -> str | None:
    return "must not be negative" if value < 0 else None


def _log_level(value: Any) -> str | None:
    if str(value).lower() not in LOG_LEVELS:
        return f"{value!r} is not one of {', '.join(LOG_LEVELS)}"
    return None


def _uri(value: Any) -> str | None:
    from manage_db.dao.connection import parse_uri
    from manage_db.errors import ConnectionFailed

    try:
        parse_uri(value)
    except ConfigError as error:
        return str(error)
    except ConnectionFailed:  # no driver: the command that connects says so (--help needs none)
        return None
    return None


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# THE table of settings: a dotted name per key (``lint.ignore``), its default and its checks.
# Adding a key is one line here; ``settings.key`` (or ``settings["key"]``) then reads it.
KEYS: dict[str, Key] = {
    "config_file": Key(DEFAULT_CONFIG_FILE, str),
    "extra_config_files": Key("/etc/wazo-manage-db/conf.d", str),
    "debug": Key(False, bool),
    "log_level": Key("info", str, check=_log_level),
    "log_file": Key("/var/log/wazo-manage-db.log", str),
    "user": Key("wazo-manage-db", str),
    # The owner connection of the platform database; other components reuse its host and port.
    "db_uri": Key("postgresql://asterisk:proformatique@localhost:5432/asterisk", str, check=_uri),
    # Superuser connection for init; empty: the postgres OS user over the Unix socket (peer auth).
    "admin_uri": Key(None, str, check=_uri),
    "socket_dir": Key("/var/run/postgresql", str),
    "server_wait": Key(10.0, (int, float), check=_non_negative),
    "lock_wait": Key(300.0, (int, float), check=_non_negative),
    "parallel": Key(
        os.cpu_count() or 1, int, check=lambda n: None if n >= 1 else "must be at least 1"
    ),  # components at once
    # Migration session limits (manage_db/timeouts.py), also settable per component.
    "lock_timeout": Key(5.0, (int, float), check=_non_negative),
    "statement_timeout": Key(0.0, (int, float), check=_non_negative),
    "lock_retries": Key(3, int, check=_non_negative),
    "server_timeout": Key(30.0, (int, float), check=_non_negative),
    # Standbys (docs/ha.md): seconds to wait after a run for them to replay it (0: do not wait),
    # and how many must (none: every standby streaming); replica_wait also per component.
    "replica_wait": Key(0.0, (int, float), check=_non_negative),
    "replica_min": Key(None, int, check=lambda n: None if n >= 1 else "must be at least 1"),
    "skip_database_setup": Key(False, bool),
    "plugins": Key(True, bool),
    "components": Key(
        {
            "asterisk": {
                "script_location": _platform_tree(),
                "version_table": "alembic_version",
                "extensions": list(PLATFORM_EXTENSIONS),
            },
        },
        dict,
    ),
    "lint.ignore": Key([], list, items=str),  # codes or names never reported
    "lint.downgrade_severity": Key("warning", str),  # MDB301: error, warning, info or off
    "lint.manifest": Key("released-revisions.txt", str),  # relative to each script_location
    "lint.cache": Key(True, bool),
    "verify.reference": Key(None, str),
    "verify.seed": Key(None, str),
    "verify.seed_before": Key(None, str),
    # plan: bounds of its read-only transaction (seconds), and what counts as a big table.
    "plan.statement_timeout": Key(30.0, (int, float), check=_non_negative),
    "plan.lock_timeout": Key(2.0, (int, float), check=_non_negative),
    "plan.big_table_rows": Key(10000, int, check=_non_negative),
    "plan.long_transaction": Key(60.0, (int, float), check=_non_negative),
    # The platform's software bus: one event after a component's upgrade applied revisions.
    "bus.enabled": Key(False, bool),
    "bus.host": Key("localhost", str),
    "bus.port": Key(5672, int),
    "bus.username": Key("guest", str),
    "bus.password": Key("guest", str),
    "bus.exchange_name": Key("wazo-headers", str),
    "bus.exchange_type": Key("headers", str),
    "bus.connect_timeout": Key(3.0, (int, float), check=_non_negative),
}

# What a ``components.NAME`` entry may hold (a plugin's definition too).
COMPONENT_KEYS: dict[str, Key] = {
    "enabled": Key(True, bool),
    "script_location": Key(None, str),
    "database": Key(None, str),
    "uri": Key(None, str, check=_uri),
    "admin_uri": Key(None, str, check=_uri),
    "owner": Key(None, str),
    "password": Key(None, str),
    "password_file": Key(None, str),
    "schema": Key(None, str),
    "version_table": Key(None, str),
    "extensions": Key((), list, items=str),
    "depends_on": Key((), list, items=str),
    "lock_timeout": Key(None, (int, float), check=_non_negative),
    "statement_timeout": Key(None, (int, float), check=_non_negative),
    "lock_retries": Key(None, int, check=_non_negative),
    "server_timeout": Key(None, (int, float), check=_non_negative),
    "replica_wait": Key(None, (int, float), check=_non_negative),
}


def sections() -> set[str]:
    """The nested sections (``lint``, ``verify``…): the prefixes of the table's dotted names."""
    return {name.split(".")[0] for name in KEYS if "." in name}


# Old names still accepted on the command line and in files.
_ALIASES = {"pg_db_uri": "admin_uri"}


def _defaults() -> dict[str, Any]:
    """The table as nested mappings, the built-in layer under every other."""
    layer: dict[str, Any] = {section: {} for section in sections()}
    for name, key in KEYS.items():
        section, _, leaf = name.rpartition(".")
        (layer[section] if section else layer)[leaf] = copy.deepcopy(key.default)
    return layer


def _type_name(expected: Any) -> str:
    if isinstance(expected, tuple):
        return " or ".join(t.__name__ for t in expected)
    return "a mapping" if expected is dict else expected.__name__


def validate(layer: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check one configuration layer against the table; return it with old key names renamed."""
    if not isinstance(layer, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping, not {type(layer).__name__}")
    layer = {_ALIASES.get(k, k): v for k, v in layer.items()}
    for name, value in layer.items():
        if name in sections():
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: '{name}' must be a mapping")
            for leaf, item in value.items():
                _check_key(f"{name}.{leaf}", KEYS.get(f"{name}.{leaf}"), item, source)
        elif name == "components":
            _check_key(name, KEYS[name], value, source)
            for component, definition in (value or {}).items():
                check_component(definition or {}, source, str(component))
        else:
            _check_key(name, KEYS.get(name), value, source)
    return layer


def check_component(definition: Any, source: str, name: str) -> None:
    """Check one component definition (a ``components:`` entry or a plugin's mapping)."""
    if not isinstance(definition, Mapping):
        raise ConfigError(f"{source}: 'components.{name}' must be a mapping")
    for leaf, value in definition.items():
        _check_key(f"components.{name}.{leaf}", COMPONENT_KEYS.get(leaf), value, source)


def _check_key(path: str, key: Key | None, value: Any, source: str) -> None:
    if key is None:
        raise ConfigError(f"{source}: unknown key '{path}'")
    if value is None:
        return
    kind = key.kind
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(
            f"{source}: '{path}' must be {_type_name(kind)}, not {type(value).__name__}"
        )
    if key.items is not None:
        for item in value:
            if not isinstance(item, key.items):
                raise ConfigError(
                    f"{source}: '{path}' must be a list of {key.items.__name__}, "
                    f"not of {type(item).__name__} ({item!r})"
                )
    problem = key.check(value) if key.check else None
    if problem:
        raise ConfigError(f"{source}: {path}: {problem}")


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML file, checked; an empty file is an empty layer.

    What the file holds is kept in a per-user cache (``dao/config_cache.py``) while the file is
    unchanged, so a run does not import a YAML parser; the checks run every time.
    """
    from manage_db.dao.config_cache import cached_data

    return validate(cached_data(path, parse_yaml) or {}, str(path))


def parse_yaml(path: Path) -> Any:
    """What one YAML file holds (ConfigError, naming the file, when it cannot be read)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}: {error.object[error.start]:#04x})"
        ) from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from error
    return data


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


class Settings(Mapping[str, Any]):
    """The settings of one run: read-only, typed values, derived values computed once.

    Read a key as an attribute (``settings.lock_wait``) or an item (``settings["lint"]``);
    sections are read-only mappings.
    """

    def __init__(self, values: Mapping[str, Any], explicit: frozenset[str] = frozenset()):
        object.__setattr__(
            self, "_values", MappingProxyType({k: _frozen(v) for k, v in values.items()})
        )
        # The top-level keys some layer set (not left to the built-in defaults).
        object.__setattr__(self, "_explicit", explicit)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({dict(self._values)!r})"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some keys changed (a sandbox pointing the run at its own server)."""
        return Settings({**_thawed(self._values), **changes}, self._explicit | set(changes))

    @property
    def peer_admin(self) -> bool:
        """init connects through the postgres OS user (no admin URI configured)."""
        return not self._values.get("admin_uri")

    @property
    def user_required(self) -> bool:
        """The user to run as was named (``-u`` or ``user:``), so it must exist."""
        return "user" in self._explicit


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


def load_settings(
    config_file: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
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
        env_layer = validate({"db_uri": environ["ALEMBIC_DB_URI"]}, "ALEMBIC_DB_URI")

    path = Path(config_file or DEFAULT_CONFIG_FILE)
    if config_file is not None and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    file_layer = read_yaml(path) if path.is_file() else {}

    extra_dir = Path(
        cli_layer.get("extra_config_files")
        or file_layer.get("extra_config_files")
        or KEYS["extra_config_files"].default
    )
    if config_file is not None and "extra_config_files" not in file_layer:
        # An explicit config file brings its own conf.d beside it, not the system one.
        extra_dir = path.parent / "conf.d"
    extra_layers = [read_yaml(p) for p in conf_d_files(extra_dir)]

    merged = merge(cli_layer, env_layer, *extra_layers, file_layer, _defaults())
    merged["config_file"] = str(path)
    merged["extra_config_files"] = str(extra_dir)
    merged["log_level"] = "debug" if merged.get("debug") else str(merged["log_level"]).lower()
    for name in ("server_wait", "lock_wait"):
        merged[name] = float(merged[name])
    explicit = frozenset(
        k for layer in (cli_layer, env_layer, *extra_layers, file_layer) for k in layer
    )
    return Settings(merged, explicit)
