"""Render what revisions' ``upgrade()`` emit in alembic's offline (``--sql``) mode, for lint.

One MigrationContext for the whole run, revisions executed in-process from the syntax trees
lint already parsed: no subprocess, no per-revision reload of the script directory. Each chunk
of output is tagged with the line of the revision that emitted it, found on the stack.

Offline mode has no database, so three things stand in for it:

- a *stand-in bind* (``op.get_bind()``): writes executed through it are rendered like
  ``op.execute``; reads are answered with no rows;
- *literal renderers* for values SQLAlchemy cannot inline itself (untyped ``sa.column()``s,
  dates, UUIDs, enums, JSON, decimals, arrays...);
- SQLAlchemy 1.x call forms (``select([...])``, ``case([...])``, ``select(cols, whereclause,
  from_obj=...)``, ``execute("raw SQL")``) accepted while revisions run on SQLAlchemy 2.

Whatever still fails is reported in :attr:`Rendering.error`; lint then reads the calls from the
syntax tree instead.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import decimal
import enum
import io
import json
import sys
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any


@dataclass
class Chunk:
    """Text alembic wrote for one call, and the revision line that made the call."""

    text: str
    line: int


@dataclass
class Rendering:
    """The offline SQL of one upgrade(), or why it could not be rendered."""

    chunks: list[Chunk] = field(default_factory=list)
    error: str | None = None


class _Capture:
    """An output buffer that records which line of the current revision wrote each chunk."""

    def __init__(self) -> None:
        self.filename = ""
        self.chunks: list[Chunk] = []

    def write(self, text: str) -> None:
        frame: FrameType | None = sys._getframe(1)
        line = 0
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                line = frame.f_lineno or 0
                break
            frame = frame.f_back
        if text.strip():
            self.chunks.append(Chunk(text, line))

    def flush(self) -> None:
        pass


def literal_sql(value: Any) -> str:
    """A SQL literal for a Python value SQLAlchemy has no literal renderer for."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _quoted(value.name)
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return _quoted(value.isoformat())
    if isinstance(value, datetime.timedelta):
        return f"interval '{value.total_seconds()} seconds'"
    if isinstance(value, uuid.UUID):
        return _quoted(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return f"'\\x{bytes(value).hex()}'::bytea"
    if isinstance(value, dict):
        return _quoted(json.dumps(value, default=str))
    if isinstance(value, list | tuple | set | frozenset):
        return "ARRAY[" + ", ".join(literal_sql(item) for item in value) + "]"
    return _quoted(str(value))


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _offline_dialect() -> Any:
    """The PostgreSQL dialect alembic would pick, with a fallback for literal values."""
    from sqlalchemy import JSON
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import CompileError

    base = make_url("postgresql://").get_dialect()

    class OfflineCompiler(base.statement_compiler):  # type: ignore[name-defined,misc]
        def render_literal_value(self, value: Any, type_: Any) -> str:
            if isinstance(type_, JSON) and not isinstance(value, str):
                return _quoted(json.dumps(value, default=str))
            try:
                return super().render_literal_value(value, type_)
            except (CompileError, NotImplementedError, TypeError, ValueError, AttributeError):
                return literal_sql(value)

    class OfflineDialect(base):  # type: ignore[valid-type,misc]
        statement_compiler = OfflineCompiler

    return OfflineDialect()


class _NoRows:
    """The answer of the stand-in bind to every query: a result without rows."""

    rowcount = 0
    returns_rows = False
    inserted_primary_key = None
    lastrowid = None

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def fetchall(self) -> list[Any]:
        return []

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return []

    def all(self) -> list[Any]:
        return []

    def keys(self) -> list[str]:
        return []

    def fetchone(self) -> None:
        return None

    def first(self) -> None:
        return None

    def one_or_none(self) -> None:
        return None

    def scalar(self) -> None:
        return None

    def scalar_one_or_none(self) -> None:
        return None

    def scalars(self, *args: Any) -> _NoRows:
        return self

    def mappings(self) -> _NoRows:
        return self

    def unique(self, *args: Any) -> _NoRows:
        return self

    def columns(self, *args: Any) -> _NoRows:
        return self

    def close(self) -> None:
        pass


class StandInBind:
    """What ``op.get_bind()`` returns offline: writes are rendered, reads find no rows."""

    def __init__(self, impl: Any) -> None:
        self._impl = impl
        self.dialect = impl.dialect

    @property
    def connection(self) -> StandInBind:
        return self

    @property
    def engine(self) -> StandInBind:
        return self

    def execute(self, statement: Any, *multiparams: Any, **params: Any) -> _NoRows:
        """Render ``statement`` (once per parameter set) into the offline output."""
        from sqlalchemy import text
        from sqlalchemy.sql.elements import TextClause

        construct = text(statement) if isinstance(statement, str) else statement
        sets: list[dict[str, Any]] = []
        for item in multiparams:
            sets.extend(item if isinstance(item, list | tuple) else [item])
        if params:
            sets.append(params)
        if not sets:
            sets = [{}]
        read = getattr(construct, "is_select", False) or (
            isinstance(construct, TextClause)
            and construct.text.lstrip().split(None, 1)[:1] in (["SELECT"], ["select"], ["SHOW"])
        )
        for values in sets:
            try:
                self._impl._exec(_bound(construct, values))
            except Exception:
                if not read:
                    raise
        return _NoRows()

    def exec_driver_sql(self, statement: str, *args: Any, **kwargs: Any) -> _NoRows:
        self._impl.static_output(statement.strip() + self._impl.command_terminator)
        return _NoRows()

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> None:
        self.execute(statement, *args, **kwargs)
        return None

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> _NoRows:
        return self.execute(statement, *args, **kwargs)

    def _run_ddl_visitor(self, visitor: Any, element: Any, **kwargs: Any) -> None:
        # Private SQLAlchemy API: what ``sa.Enum(...).create(bind)`` and ``table.create(bind)``
        # call; the DDL they build is executed (so rendered) through this bind.
        visitor(self.dialect, self, **kwargs).traverse_single(element)

    def execution_options(self, **options: Any) -> StandInBind:
        return self

    @contextlib.contextmanager
    def begin(self) -> Iterator[StandInBind]:
        yield self

    begin_nested = begin

    def in_transaction(self) -> bool:
        return True

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


def _bound(construct: Any, values: dict[str, Any]) -> Any:
    """``construct`` with its parameters inlined, so it renders as literal SQL."""
    if not values:
        return construct
    from sqlalchemy.sql.dml import Insert, Update
    from sqlalchemy.sql.elements import TextClause

    if isinstance(construct, Insert | Update):
        return construct.values(**values)
    if isinstance(construct, TextClause):
        known = {k: v for k, v in values.items() if k in construct._bindparams}
        return construct.bindparams(**known)
    return construct.params(values)


@contextlib.contextmanager
def _sqlalchemy_1x_forms() -> Iterator[None]:
    """Accept SQLAlchemy 1.x code: ``sqlalchemy.dialects.postgres``, and on SQLAlchemy 2
    ``select([cols], where, from_obj=...)`` and ``case([whens])``."""
    import sqlalchemy
    from sqlalchemy.dialects import postgresql

    # ``sqlalchemy.dialects.postgres``: the name SQLAlchemy < 1.4 also answered to.
    alias = "sqlalchemy.dialects.postgres"
    added_alias = alias not in sys.modules
    sys.modules.setdefault(alias, postgresql)
    try:
        if sqlalchemy.__version__.startswith("1."):
            yield
        else:
            with _select_and_case_of_1x():
                yield
    finally:
        if added_alias:
            sys.modules.pop(alias, None)


@contextlib.contextmanager
def _select_and_case_of_1x() -> Iterator[None]:
    import sqlalchemy
    from sqlalchemy import sql
    from sqlalchemy.sql import expression

    modern_select = sqlalchemy.select
    modern_case = sqlalchemy.case

    def select(*args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], list | tuple):
            return modern_select(*args, **kwargs)
        statement = modern_select(*args[0])
        where = args[1] if len(args) > 1 else kwargs.pop("whereclause", None)
        if where is not None:
            statement = statement.where(where)
        from_obj = kwargs.pop("from_obj", None)
        if from_obj is not None:
            froms = from_obj if isinstance(from_obj, list | tuple) else [from_obj]
            statement = statement.select_from(*froms)
        for name, value in kwargs.items():
            if value is not None and name in ("order_by", "group_by"):
                items = value if isinstance(value, list | tuple) else [value]
                statement = getattr(statement, name)(*items)
            elif value is not None:
                statement = getattr(statement, name)(value)
        return statement

    def case(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], list):
            return modern_case(*args[0], *args[1:], **kwargs)
        return modern_case(*args, **kwargs)

    modules = (sqlalchemy, sql, expression)
    saved = [(m, n, getattr(m, n)) for m in modules for n in ("select", "case") if hasattr(m, n)]
    for module in modules:
        module.select = select  # type: ignore[attr-defined]
        module.case = case  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def render_upgrades(revisions: Sequence[tuple[str, ast.Module]]) -> dict[str, Rendering]:
    """Offline SQL of the upgrade() of each (path, syntax tree), by path."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    capture = _Capture()
    context = MigrationContext.configure(
        dialect=_offline_dialect(),
        opts={"as_sql": True, "output_buffer": capture, "literal_binds": True},
    )
    # Private API (to fold into runtime/compat.py): op.get_bind() returns impl.connection.
    bind = StandInBind(context.impl)
    context.impl.connection = bind  # type: ignore[assignment]
    context.connection = bind  # type: ignore[assignment]
    results: dict[str, Rendering] = {}
    # A revision that prints must not mix its text into lint's own output (JSON, annotations).
    with (
        Operations.context(context),
        contextlib.redirect_stdout(io.StringIO()),
        _sqlalchemy_1x_forms(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # deprecations of old revisions are not lint's output
        for index, (path, tree) in enumerate(revisions):
            capture.filename = path
            capture.chunks = []
            results[path] = _render_one(path, tree, index, capture)
    return results


def _render_one(path: str, tree: ast.Module, index: int, capture: _Capture) -> Rendering:
    name = f"manage_db_lint_revision_{index}"
    module = type(sys)(name)
    module.__dict__.update({"__name__": name, "__file__": path})
    sys.modules[name] = module
    try:
        exec(compile(tree, path, "exec"), module.__dict__)
        module.__dict__["upgrade"]()
    except Exception as error:  # the revision's own code failed offline: a finding, not a crash
        return Rendering(list(capture.chunks), f"{type(error).__name__}: {error}")
    except SystemExit as error:
        return Rendering(list(capture.chunks), f"SystemExit: {error}")
    finally:
        sys.modules.pop(name, None)
    return Rendering(list(capture.chunks))
