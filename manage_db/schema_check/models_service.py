"""check-models: what a component's SQLAlchemy models create against what its migrations build.

The head is built in one throwaway database through the normal runtime (the tree's env.py run,
as ``upgrade`` runs it), the models' ``MetaData.create_all()`` in another of the same server and
owner (the component's schema and extensions made first in both), both read into catalog
snapshots and compared with verify's diff: every table, column (type, nullability, default,
identity, collation, comment), constraint (check, unique, foreign key, primary key, with its
name), index (expression and partial ones too), sequence, enum (labels in order), view,
function, comment, owner and privilege.

``--live`` (``check_models_live``) compares the models with the component's live database
instead, when it is at the tree's heads (what ``alembic check`` compares): the live database is
read once, read-only (``schema_check.dao``), the heads come from the cached revision graph
(``services.status.TreeView``, no alembic), and only the models' database is built.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manage_db.errors import ConfigError, ManageDbError, NotAtHead, TreeError, one_line
from manage_db.models import Component
from manage_db.schema_check.build import (
    build_history,
    collections_paused,
    fold_constraint_indexes,
    throwaway_server,
)
from manage_db.schema_check.dao import LiveState, read_live
from manage_db.schema_check.model import SchemaReport
from manage_db.services.schema_diff import diff_snapshots
from manage_db.services.status import TreeView
from manage_db.services.throwaway_build import (
    Place,
    import_runtime,
    place_of,
    snapshot_of,
    without_bookkeeping,
)

if TYPE_CHECKING:
    from manage_db.dao.snapshot import Snapshot
    from manage_db.dao.throwaway import ThrowawayDatabase

logger = logging.getLogger(__name__)

MODELS = "models"
MIGRATIONS = "migrations"
LIVE = "live database"


def project_dir(component: Component) -> Path:
    """Where the tree's project lives (alembic.ini's directory): put first on ``sys.path``."""
    return Path(component.script_location).resolve().parent


def check_models(
    component: Component, models: str, admin_uri: str, owner_password: str | None = None
) -> SchemaReport:
    """Compare the models ``models`` (``MODULE:ATTR``) with the head of the component's tree."""
    place = place_of([component])
    with (
        collections_paused(),
        throwaway_server(admin_uri, component, owner_password, place) as server,
        ThreadPoolExecutor(1) as pool,
    ):
        # The server makes both databases (each on its own connection) while alembic,
        # SQLAlchemy and the models import (alembic first: the migrations need it, and they
        # and create_all() then start together); each database is read as soon as it is built.
        # (On an error the pool waits for its work before the databases are dropped.)
        databases = pool.submit(server.new_databases, 2)
        import_runtime()
        from manage_db.runtime.models_schema import load_metadata

        metadata = load_metadata(models, project_dir(component))
        migrated, created = databases.result()
        expected_read = pool.submit(_created_snapshot, metadata, created, models, place)
        heads = build_history(migrated, component)
        actual = snapshot_of(migrated, place)
        expected = expected_read.result()
    differences = fold_constraint_indexes(diff_snapshots(expected, actual))
    logger.debug(
        "%s: %d difference(s) between models and migrations", component.name, len(differences)
    )
    return SchemaReport(
        component=component.name,
        expected_label=MODELS,
        actual_label=MIGRATIONS,
        differences=differences,
        revisions=heads,
        source=models,
    )


def check_models_live(
    component: Component,
    models: str,
    admin_uri: str,
    live_uri: str,
    owner_password: str | None = None,
    exclude_schemas: Sequence[str] = (),
) -> SchemaReport:
    """Compare the models ``models`` with the component's live database (``live_uri``), which
    must be at the tree's heads (NotAtHead otherwise; nothing is written to it)."""
    heads = TreeView(component).heads
    place = place_of([component], exclude_schemas)
    with (
        collections_paused(),
        throwaway_server(admin_uri, component, owner_password, place) as server,
        ThreadPoolExecutor(2) as pool,
    ):
        # The models' database is made and the live database read while SQLAlchemy and the
        # models import.
        database = pool.submit(server.new_database)
        live_read = pool.submit(
            read_live,
            live_uri,
            [component.version_table],
            schema=place.schema,
            exclude_schemas=place.exclude_schemas,
            exclude_tables=place.bookkeeping,
        )
        from manage_db.runtime.models_schema import load_metadata

        metadata = load_metadata(models, project_dir(component))
        created_db = database.result()
        _create_all(metadata, created_db.owner_uri, models)
        live = live_read.result()
        _require_heads(component, live, heads)
        expected = snapshot_of(created_db, place)
    actual = without_bookkeeping(live.snapshot, place)
    return SchemaReport(
        component=component.name,
        expected_label=MODELS,
        actual_label=LIVE,
        differences=fold_constraint_indexes(diff_snapshots(expected, actual)),
        revisions=tuple(heads),
        source=models,
    )


def _require_heads(component: Component, live: LiveState, heads: Sequence[str]) -> None:
    current = live.revisions[component.version_table]
    if set(current) != set(heads):
        raise NotAtHead(
            f"{component.name}: database {component.database} is at "
            f"{', '.join(current) or 'base'}, not at the head {', '.join(heads)}: upgrade it "
            "first, or run check-models without --live"
        )


def _created_snapshot(
    metadata: Any, database: ThrowawayDatabase, models: str, place: Place
) -> Snapshot:
    """The snapshot of ``database`` once the models' ``create_all()`` has run in it."""
    _create_all(metadata, database.owner_uri, models)
    return snapshot_of(database, place)


def _create_all(metadata: Any, uri: str, models: str) -> None:
    from manage_db.runtime.models_schema import create_all

    try:
        create_all(metadata, uri)
    except ManageDbError:
        raise
    except Exception as error:
        raise TreeError(f"models {models}: create_all() failed: {one_line(error)}") from error


def models_targets(
    components: Sequence[Component], models: str | None, named: bool
) -> list[tuple[Component, str]]:
    """(component, MODULE:ATTR) for each component to check: ``--models`` for the one
    component selected, else each component's ``models`` setting (ConfigError when none has)."""
    if models is not None:
        if len(components) != 1:
            raise ConfigError(
                "--models needs exactly one component; choose one with --component "
                f"({', '.join(c.name for c in components)})"
            )
        return [(components[0], models)]
    targets = [(c, c.models) for c in components if c.models]
    missing = [c.name for c in components if not c.models]
    if not targets or (named and missing):
        raise ConfigError(
            f"no models to compare for {', '.join(missing)}: set the component's `models` "
            "(MODULE:ATTR) or give --models"
        )
    return targets
