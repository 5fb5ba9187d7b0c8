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
    """One setting, declared once: loading, checking, the command line (click's options and the
    launcher's fast path), etc/wazo-manage-db/config.yml, the README's table and the man page all
    follow from it (``manage_db/settings_docs.py`` writes the documents, a test compares them).

    ``kind``: a type or tuple of types; ``items``: the type of a list's items. Bounds:
    ``minimum``, ``choices`` (compared in lower case) and ``check`` (returns a problem, a phrase,
    or None). ``per_component``: a ``components.NAME`` entry (or a plugin's mapping) may set its
    own value, which wins over the global one for that component. ``flag``: the global
    command-line option, its spellings then its metavar (``"-c --config-file FILE"``; a bool
    key's flag takes no value). ``doc``: one line. ``shown``: how the default reads in the
    documents when it depends on the machine. ``in_file``: False for a key only the command
    line sets.
    """

    default: Any
    kind: Any
    items: type | None = None
    check: Callable[[Any], str | None] | None = None
    doc: str = ""
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    per_component: bool = False
    flag: str | None = None
    shown: str | None = None
    in_file: bool = True

    @property
    def spellings(self) -> tuple[str, ...]:
        """The option's spellings on the command line (``-c``, ``--config-file``)."""
        return tuple(word for word in (self.flag or "").split() if word.startswith("-"))

    @property
    def metavar(self) -> str | None:
        """What the option's value is called in the help (None for a flag without a value)."""
        words = [word for word in (self.flag or "").split() if not word.startswith("-")]
        return words[0] if words else None

    @property
    def bounds(self) -> str:
        """The bounds of the value, as a phrase ('' when any value of its type will do)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.minimum is None:
            return ""
        return "not negative" if self.minimum == 0 else f"at least {self.minimum}"

    @property
    def summary(self) -> str:
        """The doc line with the bounds and whether a component may set its own."""
        extras = [self.bounds] if self.bounds else []
        if self.per_component:
            extras.append("also per component")
        return self.doc + (f" ({'; '.join(extras)})" if extras else "")

    def problem(self, value: Any, offline: bool = False) -> str | None:
        """What is wrong with a value of the right type, or None.

        ``offline``: a run that never connects (lint) leaves connection URIs unchecked: reading
        one takes the PostgreSQL driver (libpq's own parser), a tenth of lint's start-up.
        """
        if self.minimum is not None and value < self.minimum:
            return (
                "must not be negative" if self.minimum == 0 else f"must be at least {self.minimum}"
            )
        if self.choices and str(value).lower() not in self.choices:
            return f"{value!r} is not one of {', '.join(self.choices)}"
        if self.check is None or (offline and self.check is _uri):
            return None
        return self.check(value)


def _non_negative(value: Any) -> str | None:
    """A check for keys declared the older way (``check=_non_negative``); prefer ``minimum=0``."""
    return "must not be negative" if value < 0 else None


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
SECONDS = (int, float)

# THE table of settings: a dotted name per key (``lint.ignore``) and its declaration.
# Adding a key is one entry here; ``settings.key`` (or ``settings["key"]``) then reads it, and
# ``python scripts/gen_settings_docs.py`` writes it into config.yml, the README and the man page.
KEYS: dict[str, Key] = {
    "config_file": Key(
        DEFAULT_CONFIG_FILE,
        str,
        flag="-c --config-file FILE",
        in_file=False,
        doc="the main configuration file",
    ),
    "extra_config_files": Key(
        "/etc/wazo-manage-db/conf.d",
        str,
        doc="the overrides directory (with -c FILE: the conf.d/ beside that file)",
    ),
    "debug": Key(False, bool, flag="-d --debug", doc="log everything, print tracebacks of errors"),
    "log_level": Key(
        "info", str, choices=LOG_LEVELS, flag="-l --log-level LEVEL", doc="the log's level"
    ),
    "log_file": Key(
        "/var/log/wazo-manage-db.log",
        str,
        flag="--log-file FILE",
        doc="the tool's log, created 0640 (stderr with a warning when not writable)",
    ),
    "user": Key(
        "wazo-manage-db",
        str,
        flag="-u --user USER",
        doc="started as root, the tool runs as this user (one named must exist)",
    ),
    "db_uri": Key(
        "postgresql://asterisk:proformatique@localhost:5432/asterisk",
        str,
        check=_uri,
        flag="--db-uri URI",
        doc="the platform database's owner connection; other components use its server (any "
        "URI may name several hosts, h1:5432,h2:5433: see docs/ha.md)",
    ),
    "admin_uri": Key(
        None,
        str,
        check=_uri,
        doc="superuser connection for init and verify (none: the postgres OS user over "
        "socket_dir; old name pg_db_uri)",
    ),
    "socket_dir": Key(
        "/var/run/postgresql", str, doc="the Unix socket directory init uses without admin_uri"
    ),
    "server_wait": Key(
        10.0, SECONDS, minimum=0, doc="seconds to wait for the server to accept connections"
    ),
    "lock_wait": Key(
        300.0,
        SECONDS,
        minimum=0,
        per_component=True,
        doc="seconds to wait for another run's migration lock on the same component",
    ),
    "parallel": Key(
        os.cpu_count() or 1,
        int,
        minimum=1,
        shown="the number of cores",
        doc="components initialised and upgraded at once, each in a worker process",
    ),
    "lock_timeout": Key(
        5.0,
        SECONDS,
        minimum=0,
        per_component=True,
        doc="seconds a migration statement may wait for a table lock (a revision's own SET wins)",
    ),
    "statement_timeout": Key(
        0.0,
        SECONDS,
        minimum=0,
        per_component=True,
        doc="seconds a migration statement may run (0: no limit)",
    ),
    "lock_retries": Key(
        3,
        int,
        minimum=0,
        per_component=True,
        doc="runs again of a revision that waited past lock_timeout, with backoff",
    ),
    "server_timeout": Key(
        30.0,
        SECONDS,
        minimum=0,
        per_component=True,
        doc="seconds without an answer from the server before the run ends",
    ),
    "replica_wait": Key(
        0.0,
        SECONDS,
        minimum=0,
        per_component=True,
        doc="seconds an upgrade, downgrade or stamp that changed a database waits for the "
        "standbys of its primary to replay it (0: do not wait; past it, exit 9)",
    ),
    "replica_min": Key(
        None,
        int,
        minimum=1,
        shown="all",
        doc="how many standbys must have replayed it (none: every standby streaming)",
    ),
    "skip_database_setup": Key(
        False, bool, doc="the package's postinst skips init and upgrade (image builds)"
    ),
    "plugins": Key(
        True,
        bool,
        doc="load components declared by installed packages (entry points "
        "wazo_manage_db.components)",
    ),
    "components": Key(
        {
            "asterisk": {
                "script_location": _platform_tree(),
                "version_table": "alembic_version",
                "extensions": list(PLATFORM_EXTENSIONS),
            },
        },
        dict,
        shown="asterisk: the platform tree",
        doc="one alembic tree each, with its database (or schema), owner role and version table",
    ),
    "lint.ignore": Key([], list, items=str, doc="rule codes or names never reported"),
    "lint.downgrade_severity": Key(
        "warning", str, doc="severity of MDB301 (downgrade missing): error, warning, info or off"
    ),
    "lint.manifest": Key(
        "released-revisions.txt",
        str,
        doc="the release manifest, relative to each script_location",
    ),
    "lint.cache": Key(True, bool, doc="keep per-file results while a file is unchanged"),
    "verify.reference": Key(None, str, doc="a schema dump the head must match"),
    "verify.seed": Key(None, str, doc="a SQL file of rows loaded before verify.seed_before"),
    "verify.seed_before": Key(None, str, doc="the revision before which verify.seed is loaded"),
    # verify's walk (services/verify_walk.py); a component's own in components.NAME.verify.
    "verify.skip_revisions": Key(
        [], list, items=str, doc="revisions verify stamps and never runs (also per component)"
    ),
    "verify.minimum_downgrade_revision": Key(
        None, str, doc="verify downgrades neither it nor its ancestors (also per component)"
    ),
    "verify.baselines": Key(
        [],
        list,
        items=str,
        doc="root revisions whose empty downgrade is intended (also per component)",
    ),
    "plan.statement_timeout": Key(
        30.0, SECONDS, minimum=0, doc="seconds plan's read-only transaction may run"
    ),
    "plan.lock_timeout": Key(2.0, SECONDS, minimum=0, doc="seconds plan waits for each lock"),
    "plan.big_table_rows": Key(
        10000,
        int,
        minimum=0,
        doc="estimated rows from which a rewrite or ACCESS EXCLUSIVE lock makes a revision risky",
    ),
    "plan.long_transaction": Key(
        60.0, SECONDS, minimum=0, doc="seconds from which another session's transaction is listed"
    ),
    "bus.enabled": Key(
        False, bool, doc="publish database_upgraded after an upgrade that applied revisions"
    ),
    "bus.host": Key("localhost", str, doc="the RabbitMQ broker's host"),
    "bus.port": Key(5672, int, doc="the broker's AMQP port"),
    "bus.username": Key("guest", str, doc="the broker's user"),
    "bus.password": Key("guest", str, doc="the broker's password (never printed)"),
    "bus.exchange_name": Key("wazo-headers", str, doc="the exchange the event goes to"),
    "bus.exchange_type": Key("headers", str, doc="that exchange's type"),
    "bus.connect_timeout": Key(
        3.0, SECONDS, minimum=0, doc="seconds to reach the broker (a failure is a warning)"
    ),
}

# What a ``components.NAME`` entry (or a plugin's mapping) may hold besides the per-component
# settings of KEYS (``per_component=True``), which it may set too.
COMPONENT_KEYS: dict[str, Key] = {
    "enabled": Key(True, bool, doc="false: the component is left out"),
    "script_location": Key(None, str, doc="its alembic tree (the directory of env.py)"),
    "database": Key(None, str, doc="its database (default: db_uri's)"),
    "uri": Key(None, str, check=_uri, doc="its owner connection, on another server"),
    "admin_uri": Key(None, str, check=_uri, doc="superuser connection of that other server"),
    "owner": Key(None, str, doc="the role that owns it (default: db_uri's)"),
    "password": Key(None, str, doc="the owner's password (none: peer or trust auth)"),
    "password_file": Key(None, str, doc="a file holding the owner's password"),
    "schema": Key(None, str, doc="confine it to a schema it owns (its search_path)"),
    "version_table": Key(None, str, doc="its version table (default alembic_version)"),
    "extensions": Key((), list, items=str, doc="extensions created by init, as superuser"),
    "depends_on": Key((), list, items=str, doc="components initialised and upgraded before it"),
    "models": Key(
        None,
        str,
        doc="the daemon's SQLAlchemy models, MODULE:ATTR (MetaData or declarative base), for "
        "check-models",
    ),
    "verify": Key(
        None,
        dict,
        check=lambda value: _component_verify(value),
        doc="its own verify.skip_revisions, verify.minimum_downgrade_revision, verify.baselines",
    ),
}

# What a component's own ``verify:`` mapping may hold (the global keys of the same name).
COMPONENT_VERIFY_KEYS = ("skip_revisions", "minimum_downgrade_revision", "baselines")


def _component_verify(value: Mapping[str, Any]) -> str | None:
    for leaf, item in value.items():
        if leaf not in COMPONENT_VERIFY_KEYS:
            return f"unknown key '{leaf}' (one of {', '.join(COMPONENT_VERIFY_KEYS)})"
        key = KEYS[f"verify.{leaf}"]
        if item is None:
            continue
        if not isinstance(item, key.kind) or (
            key.items is not None and not all(isinstance(i, key.items) for i in item)
        ):
            kind = "a list of str" if key.items is not None else _type_name(key.kind)
            return f"'{leaf}' must be {kind}"
    return None


def component_key(leaf: str) -> Key | None:
    """The declaration of a key a component entry may hold: its own or a per-component one."""
    key = COMPONENT_KEYS.get(leaf)
    if key is None and leaf in KEYS and KEYS[leaf].per_component:
        return KEYS[leaf]
    return key


def per_component_keys() -> list[str]:
    """The settings a component may set for itself, in table order."""
    return [name for name, key in KEYS.items() if key.per_component]


def component_values(settings: Mapping[str, Any], *layers: Mapping[str, Any]) -> dict[str, Any]:
    """The per-component settings of one component: the global value, then each layer in turn
    (a plugin's mapping, the config's ``components.NAME`` entry), a later one winning."""
    values = {}
    for name in per_component_keys():
        value = settings.get(name, KEYS[name].default)
        for layer in layers:
            if layer.get(name) is not None:
                value = layer[name]
        values[name] = _typed(KEYS[name], value)
    return values


def _typed(key: Key, value: Any) -> Any:
    """Seconds are floats whichever number a file gave."""
    return float(value) if key.kind == SECONDS and value is not None else value


def section_record(settings: Mapping[str, Any], section: str, record: Any) -> Any:
    """A section's settings (``plan``) as the typed record a service takes: each field from the
    key of that name (``plan.lock_timeout``), defaulted and checked by loading."""
    from dataclasses import fields

    values = settings.get(section) or {}
    return record(
        **{
            f.name: _typed(KEYS[f"{section}.{f.name}"], values[f.name])
            for f in fields(record)
            if values.get(f.name) is not None
        }
    )


def global_options() -> dict[str, Key]:
    """The settings with a global command-line option, in table order."""
    return {name: key for name, key in KEYS.items() if key.flag}


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


def validate(layer: Mapping[str, Any], source: str, offline: bool = False) -> dict[str, Any]:
    """Check one configuration layer against the table; return it with old key names renamed.

    ``offline``: for a run that never connects (see :meth:`Key.problem`)."""
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
                _check_key(f"{name}.{leaf}", KEYS.get(f"{name}.{leaf}"), item, source, offline)
        elif name == "components":
            _check_key(name, KEYS[name], value, source)
            for component, definition in (value or {}).items():
                check_component(definition or {}, source, str(component), offline)
        else:
            _check_key(name, KEYS.get(name), value, source, offline)
    return layer


def check_component(definition: Any, source: str, name: str, offline: bool = False) -> None:
    """Check one component definition (a ``components:`` entry or a plugin's mapping)."""
    if not isinstance(definition, Mapping):
        raise ConfigError(f"{source}: 'components.{name}' must be a mapping")
    for leaf, value in definition.items():
        _check_key(f"components.{name}.{leaf}", component_key(leaf), value, source, offline)


def _check_key(path: str, key: Key | None, value: Any, source: str, offline: bool = False) -> None:
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
    problem = key.problem(value, offline)
    if problem:
        raise ConfigError(f"{source}: {path}: {problem}")


def read_yaml(path: Path, offline: bool = False) -> dict[str, Any]:
    """Read one YAML file, checked; an empty file is an empty layer.

    What the file holds is kept in a per-user cache (``dao/config_cache.py``) while the file is
    unchanged, so a run does not import a YAML parser; the checks run every time.
    """
    from manage_db.dao.config_cache import cached_data

    return validate(cached_data(path, parse_yaml) or {}, str(path), offline)


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
        data = _load_yaml(yaml, text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from error
    return data


def _load_yaml(yaml: Any, text: str) -> Any:
    """``yaml.safe_load(text)``, parsed by libyaml when PyYAML has it (forty times faster: the
    values are built by the same safe constructor); a text libyaml refuses is parsed again by
    PyYAML's own parser, whose messages say more (which character, which alias)."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


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
    offline: bool = False,
) -> Settings:
    """Build the settings of one run from every layer.

    ``config_file`` None means the default path, which may be missing; a file given explicitly
    must exist. ``overrides`` are the command-line values (None values are ignored).
    ``offline``: the run never connects (lint), so connection URIs are left unchecked.
    """
    environ = os.environ if environ is None else environ
    cli_layer = validate(
        {k: v for k, v in (overrides or {}).items() if v is not None}, "command line", offline
    )
    env_layer: dict[str, Any] = {}
    if environ.get("ALEMBIC_DB_URI"):
        env_layer = validate({"db_uri": environ["ALEMBIC_DB_URI"]}, "ALEMBIC_DB_URI", offline)

    path = Path(config_file or DEFAULT_CONFIG_FILE)
    if config_file is not None and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    file_layer = read_yaml(path, offline) if path.is_file() else {}

    extra_dir = Path(
        cli_layer.get("extra_config_files")
        or file_layer.get("extra_config_files")
        or KEYS["extra_config_files"].default
    )
    if config_file is not None and "extra_config_files" not in file_layer:
        # An explicit config file brings its own conf.d beside it, not the system one.
        extra_dir = path.parent / "conf.d"
    extra_layers = [read_yaml(p, offline) for p in conf_d_files(extra_dir)]

    merged = merge(cli_layer, env_layer, *extra_layers, file_layer, _defaults())
    merged["config_file"] = str(path)
    merged["extra_config_files"] = str(extra_dir)
    merged["log_level"] = "debug" if merged.get("debug") else str(merged["log_level"]).lower()
    for name, key in KEYS.items():
        if "." not in name and name in merged:
            merged[name] = _typed(key, merged[name])
    explicit = frozenset(
        k for layer in (cli_layer, env_layer, *extra_layers, file_layer) for k in layer
    )
    return Settings(merged, explicit)
