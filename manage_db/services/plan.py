"""The plan: what each pending revision would do to the live database, changing nothing.

For every component, the pending revisions' statements (see ``plan_statements``) are walked in
order. Each statement on a table that exists now gets the lock lint knows it takes, whether it
rewrites or scans the table, the table's live size and the sessions holding it; statements that
can fail on existing rows get a read-only data check. Everything runs in one read-only
transaction with a statement_timeout, so the plan takes nothing stronger than ACCESS SHARE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from manage_db.errors import ManageDbError
from manage_db.models import Component
from manage_db.plan_model import (
    RISKY,
    WOULD_FAIL,
    ComponentPlan,
    DataCheck,
    RevisionPlan,
    StatementPlan,
    TableFacts,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanSettings:
    """Bounds of the plan's transaction and what counts as a big table."""

    statement_timeout: float = 30.0
    lock_timeout: float = 2.0
    big_table_rows: int = 10000
    long_transaction: float = 60.0


def plan_components(
    components: Sequence[Component],
    owner_uri: Callable[[Component], str],
    settings: PlanSettings = PlanSettings(),
    server_wait: float = 0.0,
) -> list[ComponentPlan]:
    """The plan of each component, from its current revision to its heads."""
    plans = []
    for component in components:
        try:
            plans.append(plan_component(component, owner_uri(component), settings, server_wait))
        except ManageDbError as error:
            plans.append(
                ComponentPlan(
                    component.name, component.database, error=str(error), exit_code=error.exit_code
                )
            )
    return plans


def plan_component(
    component: Component, owner_uri: str, settings: PlanSettings, server_wait: float = 0.0
) -> ComponentPlan:
    """One component's plan, read in one read-only transaction."""
    from manage_db.dao import table_facts
    from manage_db.dao.connection import connect
    from manage_db.dao.revision_files import load_graph
    from manage_db.dao.version_table import read_current
    from manage_db.errors import TreeError
    from manage_db.services.plan_statements import revision_statements

    graph = load_graph(component.script_location)
    conn = connect(owner_uri, wait=server_wait)
    try:
        table_facts.begin_read_only(
            conn, int(settings.statement_timeout * 1000), int(settings.lock_timeout * 1000)
        )
        plan = ComponentPlan(component.name, component.database)
        plan.current = read_current(conn, component.version_table, component.schema)
        plan.heads = graph.heads()
        for rev in plan.current:
            if rev not in graph.revisions:
                raise TreeError(
                    f"{component.name}: the database is at revision '{rev}', which is not in "
                    f"{component.script_location}"
                )
        pending = graph.pending(plan.current, plan.heads)
        found = revision_statements([graph.revisions[r].path for r in pending])
        walker = _Walker(conn, settings, plan)
        for rev, statements in zip(pending, found, strict=True):
            revision = RevisionPlan(
                rev, graph.revisions[rev].message, source=statements.source, note=statements.note
            )
            for node, text in zip(statements.nodes, statements.texts, strict=True):
                revision.statements.append(walker.statement(node, text))
            _judge(revision, plan, settings)
            plan.revisions.append(revision)
        plan.long_transactions = table_facts.long_transactions(conn, settings.long_transaction)
    except table_facts.database_error() as error:
        message = (getattr(error, "pgerror", None) or str(error)).strip().splitlines()
        raise ManageDbError(
            f"{component.name}: plan stopped: {message[0] if message else type(error).__name__}"
        ) from error
    finally:
        table_facts.end(conn)
    return plan


def _judge(revision: RevisionPlan, plan: ComponentPlan, settings: PlanSettings) -> None:
    from manage_db.lint.locks import ACCESS_EXCLUSIVE

    for statement in revision.statements:
        for check in statement.checks:
            if check.fails:
                revision.reasons.append(f"{check.description}: {check.failing_rows} row(s)")
                revision.verdict = WOULD_FAIL
            elif check.error:
                revision.reasons.append(f"{check.description}: not checked ({check.error})")
        facts = plan.tables.get(statement.table or "")
        if facts is None:
            continue
        big = facts.estimated_rows >= settings.big_table_rows
        if big and (statement.rewrites or statement.lock == ACCESS_EXCLUSIVE):
            what = "rewrites" if statement.rewrites else f"takes an {ACCESS_EXCLUSIVE} on"
            revision.reasons.append(f"{what} {facts.name} (~{facts.estimated_rows} rows)")
        if facts.holders and statement.lock:
            revision.reasons.append(f"{facts.name} is held now by {len(facts.holders)} session(s)")
    if revision.verdict != WOULD_FAIL and revision.reasons:
        revision.verdict = RISKY
    if revision.note and revision.source == "source":
        revision.reasons.append(revision.note)


@dataclass
class _Walker:
    """Follows the statements in order: which tables exist now, which the plan creates."""

    conn: Any
    settings: PlanSettings
    plan: ComponentPlan
    fresh_tables: set[str] = field(default_factory=set)
    added_columns: set[tuple[str, str]] = field(default_factory=set)
    _columns: dict[str, set[str]] = field(default_factory=dict)
    _keys: dict[str, list[str]] = field(default_factory=dict)

    def statement(self, node: Any, text: str) -> StatementPlan:
        from manage_db.lint.locks import locks_taken
        from manage_db.lint.nodes import enum_name, node_name

        kind = node_name(node)
        result = StatementPlan(text)
        table = getattr(getattr(node, "relation", None), "relname", None)
        if kind == "CreateStmt":
            self.fresh_tables.add(node.relation.relname)
            return result
        locked = [(t, lock) for t, lock in locks_taken(node) if t and self.existing(t)]
        if locked:
            result.table, result.lock = locked[0]
        elif table and self.existing(table):
            result.table = table
        if result.table is not None and table == result.table:
            if kind == "AlterTableStmt":
                for command in node.cmds or ():
                    self._alter(table, command, result)
            elif kind == "IndexStmt":
                self._index(table, node, result)
        # What the statement renames or drops is no longer what the live catalog describes.
        if kind == "RenameStmt" and table:
            if enum_name(node.renameType) == "OBJECT_COLUMN":
                self.added_columns.add((table, node.newname))
            elif node.newname:
                self.fresh_tables.update((table, node.newname))
        elif kind == "DropStmt" and enum_name(node.removeType) == "OBJECT_TABLE":
            self.fresh_tables.update(names[-1].sval for names in node.objects or ())
        return result

    def existing(self, table: str) -> bool:
        """Is it a table with rows now (not one the plan creates first)?"""
        from manage_db.dao import table_facts

        if table in self.fresh_tables:
            return False
        if table not in self.plan.tables:
            found = table_facts.existing_tables(self.conn, [table])
            if table not in found:
                self.fresh_tables.add(table)  # created later in the plan, or not there at all
                return False
            rows, size = found[table]
            holders = table_facts.lock_holders(self.conn, [table]).get(table, [])
            self.plan.tables[table] = TableFacts(table, rows, size, holders)
        return True

    def columns(self, table: str) -> set[str]:
        from manage_db.dao import table_facts

        if table not in self._columns:
            self._columns[table] = table_facts.table_columns(self.conn, table)
        return self._columns[table]

    def key(self, table: str) -> list[str]:
        from manage_db.dao import table_facts

        if table not in self._keys:
            self._keys[table] = table_facts.primary_key(self.conn, table)
        return self._keys[table]

    def _is_existing_column(self, table: str, column: str) -> bool:
        return (table, column) not in self.added_columns and column in self.columns(table)

    def _alter(self, table: str, command: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts
        from manage_db.lint.nodes import enum_name

        subtype = enum_name(command.subtype)
        if subtype == "AT_AddColumn":
            self._add_column(table, command.def_, result)
        elif subtype == "AT_SetNotNull" and self._is_existing_column(table, command.name):
            result.scans = True
            count, samples, error = table_facts.null_rows(
                self.conn, table, command.name, self.key(table)
            )
            result.checks.append(
                DataCheck(
                    "not_null", f"SET NOT NULL on {table}.{command.name}: rows with NULL",
                    count, samples, error,
                )
            )  # fmt: skip
        elif subtype == "AT_AddConstraint":
            self._constraint(table, command.def_, result)
        elif subtype == "AT_AlterColumnType" and self._is_existing_column(table, command.name):
            result.rewrites = True
            self._cast(table, command, result)
        elif subtype == "AT_ValidateConstraint":
            result.scans = True

    def _add_column(self, table: str, column: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts
        from manage_db.lint.nodes import enum_name

        self.added_columns.add((table, column.colname))
        type_name = column.typeName.names[-1].sval if column.typeName else ""
        has_default = False
        not_null = False
        for constraint in column.constraints or ():
            kind = enum_name(constraint.contype)
            if kind == "CONSTR_DEFAULT":
                has_default = True
                volatile = self._volatile(_function_names(constraint.raw_expr))
                if volatile:
                    result.rewrites = True
                    result.notes.append(
                        f"default {', '.join(sorted(volatile))}() is volatile: every row is "
                        "rewritten"
                    )
            elif kind in ("CONSTR_GENERATED", "CONSTR_IDENTITY"):
                has_default = True
                result.rewrites = True
                result.notes.append("a generated/identity value: every row is rewritten")
            elif kind in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
                not_null = True
            elif kind == "CONSTR_FOREIGN":
                result.scans = True
        if type_name in ("serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"):
            has_default = True
            result.rewrites = True
            result.notes.append(f"type {type_name} (nextval) is volatile: every row is rewritten")
        if not_null and not has_default:
            count, samples, error = table_facts.all_rows(self.conn, table, self.key(table))
            result.checks.append(
                DataCheck(
                    "not_null",
                    f"ADD COLUMN {table}.{column.colname} NOT NULL without default: existing rows",
                    count, samples, error,
                )
            )  # fmt: skip

    def _volatile(self, names: set[str]) -> set[str]:
        from manage_db.dao import table_facts
        from manage_db.lint.rules.mdb503 import VOLATILE_FUNCTIONS

        known = {n for n in names if n in VOLATILE_FUNCTIONS}
        return known | table_facts.volatile_functions(self.conn, sorted(names - known))

    def _constraint(self, table: str, constraint: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts
        from manage_db.lint.nodes import enum_name

        kind = enum_name(constraint.contype)
        not_valid = bool(getattr(constraint, "skip_validation", False))
        if kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not constraint.indexname:
            columns = [k.sval for k in constraint.keys or ()]
            result.scans = True
            self._unique(table, columns, result, primary=kind == "CONSTR_PRIMARY")
        elif kind == "CONSTR_FOREIGN" and not not_valid:
            result.scans = True
            columns = [a.sval for a in constraint.fk_attrs or ()]
            ref_table = constraint.pktable.relname
            ref_columns = [a.sval for a in constraint.pk_attrs or ()]
            if not self.existing(ref_table):
                result.notes.append(f"{ref_table} is created by the plan: not checked")
                return
            ref_columns = ref_columns or self.key(ref_table)
            if not all(self._is_existing_column(table, c) for c in columns) or len(
                ref_columns
            ) != len(columns):
                result.notes.append("columns added by the plan: foreign key not checked")
                return
            count, samples, error = table_facts.orphan_rows(
                self.conn, table, columns, ref_table, ref_columns, self.key(table)
            )
            result.checks.append(
                DataCheck(
                    "foreign_key",
                    f"FOREIGN KEY {table}({', '.join(columns)}) -> {ref_table}: orphan rows",
                    count, samples, error,
                )
            )  # fmt: skip
        elif kind == "CONSTR_CHECK" and not not_valid:
            result.scans = True
            expression = _deparse(constraint.raw_expr)
            count, samples, error = table_facts.check_violations(
                self.conn, table, expression, self.key(table)
            )
            result.checks.append(
                DataCheck(
                    "check", f"CHECK ({expression}) on {table}: violating rows",
                    count, samples, error,
                )
            )  # fmt: skip

    def _index(self, table: str, node: Any, result: StatementPlan) -> None:
        result.scans = True
        if not node.unique:
            return
        columns = [getattr(e, "name", None) for e in node.indexParams or ()]
        if node.whereClause is not None or not all(columns):
            result.notes.append("unique index on expressions or partial: duplicates not checked")
            return
        self._unique(table, [c for c in columns if c], result, primary=False)

    def _unique(self, table: str, columns: list[str], result: StatementPlan, primary: bool) -> None:
        from manage_db.dao import table_facts

        if not columns or not all(self._is_existing_column(table, c) for c in columns):
            return
        groups, count, samples, error = table_facts.duplicate_rows(self.conn, table, columns)
        what = "PRIMARY KEY" if primary else "UNIQUE"
        result.checks.append(
            DataCheck(
                "unique",
                f"{what} on {table}({', '.join(columns)}): duplicate rows"
                + (f" in {groups} group(s)" if groups else ""),
                count, samples, error,
            )
        )  # fmt: skip
        if primary:
            for column in columns:
                nulls, null_samples, null_error = table_facts.null_rows(
                    self.conn, table, column, self.key(table)
                )
                result.checks.append(
                    DataCheck(
                        "not_null", f"PRIMARY KEY on {table}.{column}: rows with NULL",
                        nulls, null_samples, null_error,
                    )
                )  # fmt: skip

    def _cast(self, table: str, command: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts

        column_def = command.def_
        if getattr(column_def, "raw_default", None) is not None:
            result.notes.append("USING expression: cast not checked")
            return
        type_sql = _deparse(column_def.typeName)
        count, samples, error, lower_bound = table_facts.cast_failures(
            self.conn, table, command.name, type_sql
        )
        at_least = " (at least, first values tried)" if lower_bound and count else ""
        result.checks.append(
            DataCheck(
                "type_cast",
                f"ALTER COLUMN {table}.{command.name} TYPE {type_sql}: rows that do not cast"
                + at_least,
                count, samples, None if count else error,
            )
        )  # fmt: skip


def _deparse(node: Any) -> str:
    """SQL text of a node, as PostgreSQL's grammar prints it."""
    from pglast.stream import RawStream

    return str(RawStream()(node))


def _function_names(node: Any) -> set[str]:
    """Every function called anywhere in an expression."""
    from manage_db.lint.nodes import node_name

    names: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple | list):
            stack.extend(item)
        elif node_name(item) == "FuncCall":
            names.add(item.funcname[-1].sval)
            stack.extend(item.args or ())
        elif hasattr(item, "__slots__") and not isinstance(item, str | int | float | bool):
            stack.extend(getattr(item, slot, None) for slot in item.__slots__)
    return names
