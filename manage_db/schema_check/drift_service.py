"""drift: a live database against the schema its own history gives at the revision it is at.

The live database is read once, read-only (``schema_check.dao``): the revisions its version
tables hold and its catalog snapshot, in one transaction. The same history is then built up to
those revisions in a throwaway database of the same server (through the normal runtime, as the
same owner role, the same schema and extensions), read the same way, and the two compared with
verify's diff. What differs was changed by hand: an index added or dropped, a column, a
constraint, a default or a type changed, an owner, a privilege, a function.

Components that share one database (each with its own version table, the platform's default)
are built together, each at its own revision, and compared as one: the objects of the others
are theirs, not drift. A schema-confined component is compared within its schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from manage_db.dao.connection import parse_uri
from manage_db.models import Component
from manage_db.schema_check.build import build_history, fold_constraint_indexes, throwaway_server
from manage_db.schema_check.dao import read_live
from manage_db.schema_check.model import SchemaReport
from manage_db.services.schema_diff import diff_snapshots
from manage_db.services.throwaway_build import place_of, snapshot_of, without_bookkeeping

HISTORY = "history"
LIVE = "live database"


def _location(uri: str, component: Component) -> tuple[str, str, str, str | None]:
    params = parse_uri(uri)
    return (
        params.get("host", ""),
        params.get("port", ""),
        params.get("dbname", ""),
        component.schema,
    )


def places(
    selected: Sequence[Component],
    every: Sequence[Component],
    owner_uri: Callable[[Component], str],
) -> list[tuple[list[Component], tuple[str, ...]]]:
    """The groups of components sharing a database and schema, for each selected one (in
    ``every``'s order), with the schemas of the database's schema-confined components."""
    located = [(component, _location(owner_uri(component), component)) for component in every]
    groups: list[tuple[list[Component], tuple[str, ...]]] = []
    seen: set[tuple[str, str, str, str | None]] = set()
    for component in selected:
        where = _location(owner_uri(component), component)
        if where in seen:
            continue
        seen.add(where)
        members = [c for c, at in located if at == where]
        others = tuple(
            c.schema for c, at in located if at[:3] == where[:3] and c.schema and not where[3]
        )
        groups.append((members, others))
    return groups


def drift(
    components: Sequence[Component],
    live_uri: str,
    admin_uri: str,
    owner_password: str | None = None,
    exclude_schemas: Sequence[str] = (),
) -> SchemaReport:
    """Compare the live database behind ``live_uri`` with the history of ``components`` (one
    database and schema, in depends_on order) built at the revisions the database holds."""
    place = place_of(components, exclude_schemas)
    live = read_live(
        live_uri,
        [c.version_table for c in components],
        schema=place.schema,
        exclude_schemas=place.exclude_schemas,
        exclude_tables=place.bookkeeping,
    )
    at: list[str] = []
    with throwaway_server(admin_uri, components[0], owner_password, place) as server:
        built = server.new_database()
        for component in components:
            revisions = live.revisions[component.version_table]
            build_history(built, component, revisions)
            at += [f"{component.name}@{r}" for r in revisions] or [f"{component.name}@base"]
        expected = snapshot_of(built, place)
    return SchemaReport(
        component="+".join(c.name for c in components),
        expected_label=HISTORY,
        actual_label=LIVE,
        differences=fold_constraint_indexes(
            diff_snapshots(expected, without_bookkeeping(live.snapshot, place))
        ),
        revisions=tuple(at),
    )
