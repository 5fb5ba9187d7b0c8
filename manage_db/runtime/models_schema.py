"""A daemon's SQLAlchemy models as a schema: their ``MetaData`` found and ``create_all()`` run.

``check-models`` compares what the models create with what the migrations build; the models are
named ``MODULE:ATTR`` (a ``MetaData``, a declarative base, or anything whose ``metadata`` is a
``MetaData``), imported with the tree's project directory on ``sys.path`` as alembic's
``prepend_sys_path = .`` would have it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event

from manage_db.errors import ConfigError, TreeError
from manage_db.runtime.session import sqlalchemy_url


def split_models_spec(spec: str) -> tuple[str, str]:
    """``(module, attribute)`` of ``MODULE:ATTR``; ConfigError (exit 2) when malformed."""
    module, sep, attribute = spec.strip().partition(":")
    if (
        not sep
        or not module
        or not attribute
        or not all(part.isidentifier() for part in (*module.split("."), *attribute.split(".")))
    ):
        raise ConfigError(
            f"models {spec!r}: expected MODULE:ATTR, e.g. wazo_auth.database.models:Base"
        )
    return module, attribute


def load_metadata(spec: str, project_dir: Path | None = None) -> MetaData:
    """The ``MetaData`` named by ``spec``; TreeError (exit 6) naming it when the module does not
    import, lacks the attribute, or the attribute is neither a MetaData nor a declarative base."""
    module_name, attribute = split_models_spec(spec)
    with _on_sys_path(project_dir):
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            first = (str(error).strip().splitlines() or [""])[0]
            raise TreeError(
                f"models {spec}: module {module_name} does not import: "
                f"{type(error).__name__}: {first}"
            ) from error
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise TreeError(f"models {spec}: {module_name} has no attribute {attribute!r}")
        value = getattr(value, part)
    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    if isinstance(metadata, MetaData):
        return metadata
    raise TreeError(
        f"models {spec}: {attribute} is a {type(value).__name__}, "
        "not a MetaData or a declarative base"
    )


@contextmanager
def _on_sys_path(directory: Path | None) -> Iterator[None]:
    entry = str(directory) if directory is not None else None
    added = entry is not None and entry not in sys.path
    if added:
        sys.path.insert(0, str(entry))
    try:
        yield
    finally:
        if added:
            sys.path.remove(str(entry))


def create_all(metadata: MetaData, uri: str) -> None:
    """``metadata.create_all()`` on the (new, empty) database behind ``uri``, in one
    transaction; nothing is there to look for first. Its DDL goes out in one round trip
    (``_ddl_joined``)."""
    engine = create_engine(sqlalchemy_url(uri))
    try:
        with engine.begin() as connection, _ddl_joined(engine, connection):
            metadata.create_all(connection, checkfirst=False)
    finally:
        engine.dispose()


@contextmanager
def _ddl_joined(engine: Any, connection: Any) -> Iterator[None]:
    """DDL statements run on ``engine`` held and sent together, in their order, on the same
    connection and transaction: before any statement that is not DDL (a listener may read its
    answer, and must see what came before) and at the end of the block. create_all() emits one
    statement per table and index: 80 round trips for 40 tables, each a wait on the server
    (longer on a loaded machine) where one suffices."""
    held: list[str] = []
    held_args: list[Any] = []  # the driver's parameters, None or empty: %% is unescaped by them

    def flush(cursor: Any) -> None:
        if held:
            text, args = ";\n".join(held), held_args[0]
            held.clear()
            held_args.clear()
            if args is None:
                cursor.execute(text)
            else:
                cursor.execute(text, args)

    def hold(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        if context is not None and context.isddl and not parameters:
            if held and (held_args[0] is None) != (parameters is None):
                flush(cursor)
            held.append(statement)
            held_args.append(parameters)
            return True  # not executed by the dialect: held
        flush(cursor)
        return False

    def hold_without_parameters(cursor: Any, statement: str, context: Any) -> bool:
        return hold(cursor, statement, None, context)

    event.listen(engine, "do_execute", hold)
    event.listen(engine, "do_execute_no_params", hold_without_parameters)
    try:
        yield
        cursor = connection.connection.cursor()
        try:
            flush(cursor)
        finally:
            cursor.close()
    finally:
        event.remove(engine, "do_execute", hold)
        event.remove(engine, "do_execute_no_params", hold_without_parameters)
