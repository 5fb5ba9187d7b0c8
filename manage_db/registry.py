"""Components: read from the settings and from plugins, checked, ordered by depends_on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from manage_db.errors import ConfigError
from manage_db.models import Component
from manage_db.timeouts import SessionTimeouts

PLUGIN_GROUP = "wazo_manage_db.components"


def plugin_components() -> dict[str, dict[str, Any]]:
    """Component definitions declared by installed packages under the entry-point group.

    An entry point names a mapping (the same keys as a ``components:`` entry in the config) or a
    callable returning one. A plugin that fails to load is one clear error naming it.
    """
    from manage_db.dao.entry_points import group_entry_points, load_entry_point

    found: dict[str, dict[str, Any]] = {}
    for name, reference in group_entry_points(PLUGIN_GROUP):
        try:
            value = load_entry_point(reference)
            definition = value() if callable(value) else value
        except Exception as error:
            raise ConfigError(
                f"plugin '{name}' ({reference}) failed to load: {type(error).__name__}: {error}"
            ) from error
        if not isinstance(definition, Mapping):
            raise ConfigError(
                f"plugin '{name}' ({reference}) must provide a mapping, "
                f"not {type(definition).__name__}"
            )
        found[name] = dict(definition)
    return found


class Registry:
    """The run's components, built and checked once, on first use."""

    def __init__(self, settings: Mapping[str, Any]):
        self._settings = settings
        self._components: list[Component] | None = None

    def all(self) -> list[Component]:
        """Every enabled component, in depends_on order."""
        if self._components is None:
            self._components = build_components(self._settings)
        return self._components

    def select(self, names: Sequence[str] = ()) -> list[Component]:
        """The named components (all when empty), in depends_on order."""
        return select(self.all(), names)


def build_components(settings: Mapping[str, Any]) -> list[Component]:
    """Every enabled component, checked and in depends_on order."""
    from manage_db.config import check_component
    from manage_db.dao.connection import parse_uri

    definitions: dict[str, dict[str, Any]] = {}
    if settings.get("plugins", True):
        for name, definition in plugin_components().items():
            check_component(definition, f"plugin '{name}'", name)
            definitions[name] = dict(definition)
    for name, definition in (settings.get("components") or {}).items():
        # Config values refine a plugin's definition (a password, a database name, a limit).
        definitions[name] = {**definitions.get(name, {}), **(definition or {})}

    default = parse_uri(settings["db_uri"])
    components = []
    for name, definition in definitions.items():
        if definition.get("enabled", True) is False:
            continue
        components.append(_component(name, definition, default, settings))
    _check_version_tables(components)
    return order_components(components)


def _component(
    name: str, d: Mapping[str, Any], default: Mapping[str, str], settings: Mapping[str, Any]
) -> Component:
    """One component from its definition (a plugin's mapping refined by its config entry)."""
    from manage_db.config import component_values

    where = f"component '{name}'"
    if not d.get("script_location"):
        raise ConfigError(f"{where}: script_location is not set")
    location = Path(d["script_location"]).expanduser()
    if not (location / "env.py").is_file():
        raise ConfigError(f"{where}: script location {location} has no env.py")
    uri = d.get("uri")
    if uri:
        from manage_db.dao.connection import parse_uri

        params = parse_uri(uri)
        database = d.get("database") or params.get("dbname") or name
        owner = d.get("owner") or params.get("user") or name
    else:
        database = d.get("database") or default.get("dbname") or name
        owner = d.get("owner") or default.get("user") or name
    password = d.get("password")
    if password is None and not uri and owner == default.get("user"):
        password = default.get("password")
    password_file = Path(d["password_file"]) if d.get("password_file") else None
    component = Component(
        name=name,
        script_location=location,
        database=database,
        owner=owner,
        version_table=d.get("version_table") or "alembic_version",
        uri=uri,
        admin_uri=d.get("admin_uri"),
        password=password,
        password_file=password_file,
        schema=d.get("schema"),
        extensions=tuple(d.get("extensions") or ()),
        depends_on=tuple(d.get("depends_on") or ()),
        timeouts=SessionTimeouts.from_values(component_values(settings, d)),
        models=d.get("models"),
        verify=_verify_pairs(d.get("verify")),
    )
    _check_name_lengths(component)
    return component


def _verify_pairs(own: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """A component's ``verify:`` mapping as hashable pairs (lists become tuples)."""
    pairs = []
    for key, value in sorted((own or {}).items()):
        pairs.append((key, tuple(value) if isinstance(value, list) else value))
    return tuple(pairs)


def _check_name_lengths(component: Component) -> None:
    """PostgreSQL truncates longer names silently: refuse them before anything is created."""
    from manage_db.dao.connection import MAX_IDENTIFIER_BYTES

    names = {
        "owner": component.owner,
        "database": component.database,
        "schema": component.schema,
        "version_table": component.version_table,
        **{f"extension {e}": e for e in component.extensions},
    }
    for what, name in names.items():
        if name is not None and len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            raise ConfigError(
                f"component '{component.name}': {what} name is {len(name.encode('utf-8'))} "
                f"bytes long, PostgreSQL allows at most {MAX_IDENTIFIER_BYTES}: {name[:20]}…"
            )


def _server(component: Component) -> str:
    if component.uri:
        from manage_db.dao.connection import parse_uri

        params = parse_uri(component.uri)
        return f"{params.get('host', '')}:{params.get('port', '')}"
    return ""


def _check_version_tables(components: Sequence[Component]) -> None:
    claimed: dict[tuple[str, str, str, str], str] = {}
    for c in components:
        key = (_server(c), c.database, c.schema or "public", c.version_table)
        if key in claimed:
            raise ConfigError(
                f"components '{claimed[key]}' and '{c.name}' both use version table "
                f"{key[2]}.{c.version_table} in database {c.database}"
            )
        claimed[key] = c.name


def order_components(components: Sequence[Component]) -> list[Component]:
    """Dependencies first; otherwise in the order given. ConfigError on a cycle or unknown name."""
    by_name = {c.name: c for c in components}
    for c in components:
        for dep in c.depends_on:
            if dep not in by_name:
                raise ConfigError(f"component '{c.name}' depends on unknown component '{dep}'")
    ordered: list[Component] = []
    state: dict[str, str] = {}

    def visit(c: Component, path: list[str]) -> None:
        if state.get(c.name) == "done":
            return
        if state.get(c.name) == "visiting":
            cycle = path[path.index(c.name) :] + [c.name]
            raise ConfigError(f"depends_on cycle: {' -> '.join(cycle)}")
        state[c.name] = "visiting"
        for dep in c.depends_on:
            visit(by_name[dep], path + [c.name])
        state[c.name] = "done"
        ordered.append(c)

    for c in components:
        visit(c, [])
    return ordered


def select(components: Sequence[Component], names: Sequence[str]) -> list[Component]:
    """The named components (all when none), keeping the dependency order."""
    if not names:
        return list(components)
    known = {c.name for c in components}
    for name in names:
        if name not in known:
            raise ConfigError(
                f"unknown component '{name}' (known: {', '.join(sorted(known)) or 'none'})"
            )
    return [c for c in components if c.name in set(names)]
