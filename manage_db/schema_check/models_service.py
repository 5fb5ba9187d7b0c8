"""check-models: what a component's SQLAlchemy models create against what its migrations build.

The head is built in one throwaway database through the normal runtime (the tree's env.py run,
as ``upgrade`` runs it), the models' ``MetaData.create_all()`` in another of the same server and
owner (the component's schema and extensions made first in both), both read into catalog
snapshots and compared with verify's diff: every table, column (type, nullability, default,
identity, collation, comment), constraint (check, unique, foreign key, primary key, with its
name), index (expression and partial ones too), sequence, enum (labels in order), view,
function, comment, owner and privilege.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from manage_db.errors import ConfigError, ManageDbError, TreeError, one_line
from manage_db.models import Component
from manage_db.schema_check.build import (
    build_history,
    fold_constraint_indexes,
    place_of,
    snapshot_of,
    throwaway_server,
)
from manage_db.schema_check.model import SchemaReport
from manage_db.services.schema_diff import diff_snapshots

logger = logging.getLogger(__name__)

MODELS = "models"
MIGRATIONS = "migrations"


def project_dir(component: Component) -> Path:
    """Where the tree's project lives (alembic.ini's directory): put first on ``sys.path``."""
    return Path(component.script_location).resolve().parent


def check_models(
    component: Component, models: str, admin_uri: str, owner_password: str | None = None
) -> SchemaReport:
    """Compare the models ``models`` (``MODULE:ATTR``) with the head of the component's tree."""
    place = place_of([component])
    with (
        throwaway_server(admin_uri, component, owner_password, place) as server,
        ThreadPoolExecutor(1) as pool,
    ):
        # The server makes both databases (each on its own connection) while alembic,
        # SQLAlchemy and the models import, and the models' tables while the migrations run;
        # both snapshots are read at once. (On an error the pool waits for its work before the
        # databases are dropped.)
        databases = pool.submit(server.new_databases, 2)
        from manage_db.runtime.models_schema import load_metadata

        metadata = load_metadata(models, project_dir(component))
        migrated, created = databases.result()
        models_made = pool.submit(_create_all, metadata, created.owner_uri, models)
        heads = build_history(migrated, component)
        models_made.result()
        expected_read = pool.submit(snapshot_of, created, place)
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
