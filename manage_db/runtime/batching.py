"""A revision's statements sent in as few round trips as its semantics allow.

alembic sends each ``op.*`` statement the moment it is called and waits for the server's answer,
which nobody reads: every ``op.*`` call goes through the migration context's ``impl._exec`` and
drops its result. During a step, ``StepBatch`` keeps such statements (DDL and parameterless SQL
text) rendered as psycopg2 would send them, and sends them in the round trip of the next
statement whose answer is wanted, ahead of it and in order: alembic's version-table write, which
ends every step (with the listeners' per-step rows, ``version_write_sql``), or whatever the
migration itself executes (``op.get_bind().execute(...)``), or, before a commit, on their own.
A revision is one transaction either way: a batched statement that fails fails its revision, and
the revision is rolled back as a whole; PostgreSQL applies ``statement_timeout`` and
``lock_timeout`` to each statement of a batch.

Nothing is held:

- outside a step (alembic's own setup), in offline mode, in an ``autocommit_block`` (each
  statement there is its own transaction), or outside a transaction;
- for statements with parameters or execution options (the version-table write, which carries
  what is held, is rendered here, ``version_writes_batched``, and its row count checked as
  alembic checks it);
- on a connection with a ``schema_translate_map``, SQL echo, or execution listeners of the env.py
  (they see each statement as it runs);
- in a revision whose code reaches the driver under SQLAlchemy (``bind.connection``, a
  ``cursor``...): what it sends there would overtake the statements held (``reaches_driver``);
- in a revision that catches exceptions (``try``, ``contextlib.suppress``): a held statement
  fails where it is sent, not where it was called, so a handler around the call would not see
  it (``handles_errors``);
- unless the server reports an open transaction block (or psycopg2 will open one): after a
  migration's own ``COMMIT`` each statement is its own transaction, as in alembic;
- for a statement that may not share a message (``runtime.shared_message``: transaction control,
  ``CONCURRENTLY``, ``ALTER TYPE … ADD VALUE``, ``DO``, anything not on its allow-list): what is
  held goes out first, then that statement alone, as alembic sends it.

So a revision means on the server exactly what it means under plain alembic: the same statements,
in the same order, in the same transactions; only the number of round trips differs.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.sql.ddl import DDLElement
from sqlalchemy.sql.elements import TextClause

from manage_db.dao.connection import rendered
from manage_db.runtime.shared_message import may_share_message

# Attribute and global names by which code gets at the DBAPI connection or a cursor of it.
DRIVER_NAMES = frozenset(
    {"connection", "cursor", "dbapi_connection", "driver_connection", "raw_connection"}
)
ENGINE_EVENTS = ("before_execute", "after_execute", "before_cursor_execute", "after_cursor_execute")

# (revision, direction) of the step running, or None.
StepGetter = Callable[[], "tuple[str, str] | None"]
# A listener's version_write_sql(revision, direction, cursor).
VersionWriter = Callable[[str, str, Any], "str | None"]


def reaches_driver(module: types.ModuleType) -> bool:
    """Whether code of ``module`` (its functions, at any depth) names the DBAPI connection or a
    cursor: statements it sends there bypass SQLAlchemy, so none may be held before them."""
    return any(DRIVER_NAMES.intersection(code.co_names) for code in _codes_of(module))


def handles_errors(module: types.ModuleType) -> bool:
    """Whether code of ``module`` catches exceptions: a ``try`` statement, or a ``with`` block
    whose context manager may swallow them (``suppress``). Functions without any exception
    table (no ``try``, no ``with``) are known not to without reading the source."""
    if not any(getattr(code, "co_exceptiontable", b"x") for code in _codes_of(module)):
        return False
    path = getattr(module, "__file__", None)
    if not path:
        return True
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            return True
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(
            _may_swallow(item.context_expr) for item in node.items
        ):
            return True
    return False


# Context managers revisions use that never swallow an exception.
_TRANSPARENT_CONTEXTS = frozenset(
    {"batch_alter_table", "autocommit_block", "begin_nested", "begin", "open", "connect"}
)


def _may_swallow(expression: ast.expr) -> bool:
    function = expression.func if isinstance(expression, ast.Call) else expression
    name = getattr(function, "attr", None) or getattr(function, "id", None)
    return name not in _TRANSPARENT_CONTEXTS


def _codes_of(module: types.ModuleType) -> Iterator[types.CodeType]:
    for value in vars(module).values():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            yield from _nested(value.__code__)


def _nested(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested(const)


class StepBatch:
    """The statements a step has sent but not yet put on the wire, and where they go out."""

    def __init__(
        self,
        migration_context: Any,
        connection: Any,
        step: StepGetter,
        writers: Sequence[VersionWriter] = (),
    ):
        self.context = migration_context
        self.connection = connection
        self.step = step
        self.writers = tuple(writers)
        self.pending: list[str] = []
        # False for a revision that reaches the driver; set per step by the runtime.
        self.allowed = True
        self.holds = _can_hold(connection)
        self._original_exec = migration_context.impl._exec
        self._cursor: Any = None

    def install(self) -> None:
        """Route the impl's statements through the batch; flush and join on the connection."""
        if self.holds:
            self.context.impl._exec = self._exec
            self.context._manage_db_batch = self  # alembic's version writes come here
            dialect = self.connection.dialect
            self._original_commit = dialect.do_commit
            dialect.do_commit = self._commit  # this engine's dialect: env.py made it for the run
            event.listen(self.connection, "rollback", self._dropped)
        if self.holds or self.writers:
            event.listen(
                self.connection, "before_cursor_execute", self._before_cursor_execute, retval=True
            )

    def uninstall(self) -> None:
        """Undo ``install``: the connection goes on without the batch (the next command)."""
        if self.holds:
            self.context.impl._exec = self._original_exec
            self.context._manage_db_batch = None
            self.connection.dialect.do_commit = self._original_commit
            event.remove(self.connection, "rollback", self._dropped)
        if self.holds or self.writers:
            event.remove(self.connection, "before_cursor_execute", self._before_cursor_execute)

    def rebind(self, migration_context: Any) -> None:
        """Serve ``migration_context`` from now on, the hooks on the connection kept: the next
        command of a session (runtime.stepping), with a MigrationContext of its own. Nothing
        held carries over (a failed step's statements went with its rollback)."""
        if self.holds:
            self.context.impl._exec = self._original_exec
            self.context._manage_db_batch = None
        self.context = migration_context
        self._original_exec = migration_context.impl._exec
        self.pending = []
        if self.holds:
            migration_context.impl._exec = self._exec
            migration_context._manage_db_batch = self

    def flush(self) -> None:
        """Send what is held now, in one round trip of its own."""
        if not self.pending:
            return
        statements, self.pending = self.pending, []
        self._execute(self._mogrifier(self._driver()), "; ".join(statements))

    def write_version(self, sql: str, revisions: tuple[str, ...], mismatch: str | None) -> None:
        """alembic's version-table write (``sql`` with ``%s`` for ``revisions``), with what is
        held and the listeners' per-step rows, in one round trip; ``mismatch`` % row count is
        the error when the write did not touch exactly one row (None: not checked)."""
        cursor = self._mogrifier(self._driver())
        step = self.step()
        extra = [sql for sql in (w(*step, cursor) for w in self.writers) if sql] if step else []
        statement = rendered(cursor, sql, revisions)
        joined, self.pending = [*self.pending, *extra, statement], []
        self._execute(cursor, "; ".join(joined))
        if mismatch is not None and cursor.rowcount != 1:
            from alembic.util import CommandError

            raise CommandError(mismatch % cursor.rowcount)

    def _execute(self, cursor: Any, statement: str) -> None:
        try:
            cursor.execute(statement)
        except Exception as error:
            handle = getattr(self.connection, "_handle_dbapi_exception", None)
            if handle is None or not isinstance(error, self.connection.dialect.dbapi.Error):
                raise
            # As SQLAlchemy handles its own executes: wrapped, a lost connection invalidated.
            handle(error, statement, {}, cursor, None)

    def _exec(self, construct: Any, *args: Any, **kwargs: Any) -> Any:
        sql = self._held_form(construct, *args, **kwargs)
        if sql is None:
            return self._original_exec(construct, *args, **kwargs)
        self.pending.append(sql)
        return None

    def _held_form(
        self,
        construct: Any,
        execution_options: Any = None,
        multiparams: Any = None,
        params: Any = None,
    ) -> str | None:
        """The statement as psycopg2 would send it, if it may be held; else None."""
        if execution_options or multiparams or params or not self.allowed:
            return None
        if isinstance(construct, str):
            construct = text(construct)
        if isinstance(construct, TextClause):
            if construct._bindparams:
                return None
        elif not isinstance(construct, DDLElement):
            return None
        if self.step() is None or not self.connection.in_transaction():
            return None
        driver = self._driver()
        if driver.autocommit or not _in_transaction_block(driver):
            # An autocommit_block, or after the migration's own COMMIT: each statement is its own
            # transaction, as alembic sends it.
            return None
        compiled = construct.compile(dialect=self.connection.dialect).string
        if not may_share_message(compiled):
            self.flush()  # what is held first, then this statement alone
            return None
        # SQLAlchemy executes DDL and text with empty parameters: psycopg2 unescapes '%%'.
        return rendered(self._mogrifier(driver), compiled, {})

    def _before_cursor_execute(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        extra = self._version_write_sql(cursor, context, executemany)
        if self.pending and (
            executemany or getattr(cursor, "name", None) or not may_share_message(statement)
        ):
            # An executemany or a server-side cursor cannot carry other statements; transaction
            # control and the like go out alone (runtime.shared_message).
            self.flush()
        if not self.pending and not extra:
            return statement, parameters
        joined, self.pending = [*self.pending, *extra], []
        # The statement stays last: its result and row count are the ones the caller reads.
        return "; ".join([*joined, rendered(cursor, statement, parameters)]), None

    def _version_write_sql(self, cursor: Any, context: Any, executemany: bool) -> list[str]:
        """The listeners' per-step SQL when this statement is alembic's version-table write."""
        step = self.step()
        if not self.writers or step is None or executemany:
            return []
        table = getattr(
            getattr(getattr(context, "compiled", None), "statement", None), "table", None
        )
        if getattr(table, "name", None) != self.context.version_table or (
            getattr(table, "schema", None) != self.context.version_table_schema
        ):
            return []
        return [sql for sql in (writer(*step, cursor) for writer in self.writers) if sql]

    def _commit(self, connection: Any) -> None:
        """The dialect's commit: what is held, COMMIT and the next transaction's BEGIN at once.

        psycopg2 would send COMMIT, then BEGIN on its own before the next statement: two round
        trips per revision. Sent together, psycopg2 still counts itself in a transaction, which
        the server now is (an empty one, taking no snapshot and no lock); its rollback, its
        isolation-level change (an ``autocommit_block``) or closing the connection ends it.
        """
        driver = self._driver()
        begin = _begin_sql(driver)
        if getattr(connection, "dbapi_connection", connection) is not driver or begin is None:
            self.flush()
            self._original_commit(connection)
            return
        statements, self.pending = [*self.pending, "COMMIT", begin], []
        self._mogrifier(driver).execute("; ".join(statements))  # errors: SQLAlchemy wraps them

    def _dropped(self, conn: Any) -> None:
        self.pending.clear()

    def _driver(self) -> Any:
        pooled = self.connection.connection
        return getattr(pooled, "dbapi_connection", pooled)

    def _mogrifier(self, driver: Any) -> Any:
        if self._cursor is None or self._cursor.connection is not driver or self._cursor.closed:
            self._cursor = driver.cursor()
        return self._cursor


# psycopg2's isolation levels (connection.isolation_level), as its own BEGIN names them.
_ISOLATION = {
    None: "",
    1: " ISOLATION LEVEL READ COMMITTED",
    2: " ISOLATION LEVEL REPEATABLE READ",
    3: " ISOLATION LEVEL SERIALIZABLE",
    4: " ISOLATION LEVEL READ UNCOMMITTED",
}


def _in_transaction_block(driver: Any) -> bool:
    """Whether statements sent now run inside a transaction block: the server reports one
    open, or psycopg2 has none and will open one before the next statement."""
    from psycopg2.extensions import (
        STATUS_READY,
        TRANSACTION_STATUS_IDLE,
        TRANSACTION_STATUS_INTRANS,
    )

    server = driver.info.transaction_status
    return server == TRANSACTION_STATUS_INTRANS or (
        server == TRANSACTION_STATUS_IDLE and driver.status == STATUS_READY
    )


def _begin_sql(driver: Any) -> str | None:
    """The BEGIN psycopg2 would send next on ``driver``, if it is in a transaction it began
    (None: autocommit, nothing sent yet, or session characteristics this does not mirror)."""
    from psycopg2.extensions import STATUS_BEGIN

    if driver.status != STATUS_BEGIN or driver.autocommit:
        return None
    if driver.readonly is not None or driver.deferrable is not None:
        return None
    level = driver.isolation_level
    return "BEGIN" + _ISOLATION[level] if level in _ISOLATION else None


def _can_hold(connection: Any) -> bool:
    """Whether statements may be held on ``connection`` at all (see the module's docstring)."""
    options = connection.get_execution_options()
    engine = connection.engine
    if options.get("schema_translate_map") or engine.echo:
        return False
    if logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO):
        return False
    return not any(len(getattr(engine.dispatch, name)) for name in ENGINE_EVENTS)


def version_table_sql(context: Any) -> tuple[str, str, str]:
    """alembic's version-table INSERT, DELETE and UPDATE for ``context``, ``%s`` for revisions."""
    preparer = context.dialect.identifier_preparer
    table = preparer.format_table(context._version)
    column = preparer.quote("version_num")
    return (
        f"INSERT INTO {table} ({column}) VALUES (%s)",
        f"DELETE FROM {table} WHERE {table}.{column} = %s",
        f"UPDATE {table} SET {column}=%s WHERE {table}.{column} = %s",
    )


@contextlib.contextmanager
def version_writes_batched() -> Iterator[None]:
    """alembic's HeadMaintainer writes the version table through the StepBatch of its context
    (one with none: as alembic does), the heads kept as alembic keeps them."""
    from alembic.runtime.migration import HeadMaintainer

    ours: dict[str, Callable[..., None]] = {
        "_insert_version": _insert_version,
        "_delete_version": _delete_version,
        "_update_version": _update_version,
    }
    originals = {name: getattr(HeadMaintainer, name) for name in ours}
    for name, write in ours.items():
        setattr(HeadMaintainer, name, _routed(write, originals[name]))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(HeadMaintainer, name, original)


def _routed(write: Callable[..., None], original: Callable[..., None]) -> Callable[..., None]:
    def version_write(maintainer: Any, *revisions: str) -> None:
        batch = getattr(maintainer.context, "_manage_db_batch", None)
        if batch is None:
            original(maintainer, *revisions)
        else:
            write(maintainer, batch, *revisions)

    return version_write


def _insert_version(maintainer: Any, batch: StepBatch, version: str) -> None:
    assert version not in maintainer.heads
    maintainer.heads.add(version)
    batch.write_version(version_table_sql(maintainer.context)[0], (version,), None)


def _delete_version(maintainer: Any, batch: StepBatch, version: str) -> None:
    maintainer.heads.remove(version)
    table = maintainer.context.version_table
    batch.write_version(
        version_table_sql(maintainer.context)[1],
        (version,),
        f"Online migration expected to match one row when deleting '{version}' in '{table}'; "
        "%d found",
    )


def _update_version(maintainer: Any, batch: StepBatch, from_: str, to_: str) -> None:
    assert to_ not in maintainer.heads
    maintainer.heads.remove(from_)
    maintainer.heads.add(to_)
    table = maintainer.context.version_table
    batch.write_version(
        version_table_sql(maintainer.context)[2],
        (to_, from_),
        f"Online migration expected to match one row when updating '{from_}' to '{to_}' in "
        f"'{table}'; %d found",
    )
