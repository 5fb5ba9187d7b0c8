"""What each statement of a plan does to the live tables, in order.

Which existing table it locks and how, whether it rewrites or scans it, and, for what can fail on
existing rows (NOT NULL, unique keys, foreign keys, CHECK, a type change), a read-only check of
those rows (see ``dao/table_facts``). Tables and columns the plan itself creates or renames are
not looked up: nothing live describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from manage_db.plan_model import ComponentPlan, DataCheck, StatementPlan, TableFacts
from manage_db.sql.deparse import deparse


@dataclass
class StatementWalker:
    """Follows the statements in order: which tables exist now, which the plan creates."""

    conn: Any
    plan: ComponentPlan
    fresh_tables: set[str] = field(default_factory=set)
    added_columns: set[tuple[str, str]] = field(default_factory=set)
    _columns: dict[str, set[str]] = field(default_factory=dict)
    _keys: dict[str, list[str]] = field(default_factory=dict)

    def statement(self, node: Any, text: str) -> StatementPlan:
        from manage_db.sql.locks import locks_taken
        from manage_db.sql.nodes import enum_name, node_name

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
        from manage_db.sql.nodes import enum_name

        subtype = enum_name(command.subtype)
        if subtype == "AT_AddColumn":
            self._add_column(table, command.def_, result)
        elif subtype == "AT_SetNotNull" and self._is_existing_column(table, command.name):
            result.scans = True
            what = f"SET NOT NULL on {table}.{command.name}: rows with NULL"
            found = table_facts.null_rows(self.conn, table, command.name, self.key(table))
            result.checks.append(DataCheck("not_null", what, *found))
        elif subtype == "AT_AddConstraint":
            self._constraint(table, command.def_, result)
        elif subtype == "AT_AlterColumnType" and self._is_existing_column(table, command.name):
            result.rewrites = True
            self._cast(table, command, result)
        elif subtype == "AT_ValidateConstraint":
            result.scans = True

    def _add_column(self, table: str, column: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts
        from manage_db.sql.columns import SERIAL_TYPES, type_name
        from manage_db.sql.nodes import enum_name

        self.added_columns.add((table, column.colname))
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
        if type_name(column) in SERIAL_TYPES:
            has_default = True
            result.rewrites = True
            result.notes.append(
                f"type {type_name(column)} (nextval) is volatile: every row is rewritten"
            )
        if not_null and not has_default:
            what = f"ADD COLUMN {table}.{column.colname} NOT NULL without default: existing rows"
            found = table_facts.all_rows(self.conn, table, self.key(table))
            result.checks.append(DataCheck("not_null", what, *found))

    def _volatile(self, names: set[str]) -> set[str]:
        from manage_db.dao import table_facts
        from manage_db.sql.functions import VOLATILE_FUNCTIONS

        known = {n for n in names if n in VOLATILE_FUNCTIONS}
        return known | table_facts.volatile_functions(self.conn, sorted(names - known))

    def _constraint(self, table: str, constraint: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts
        from manage_db.sql.nodes import enum_name

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
            what = f"FOREIGN KEY {table}({', '.join(columns)}) -> {ref_table}: orphan rows"
            found = table_facts.orphan_rows(
                self.conn, table, columns, ref_table, ref_columns, self.key(table)
            )
            result.checks.append(DataCheck("foreign_key", what, *found))
        elif kind == "CONSTR_CHECK" and not not_valid:
            result.scans = True
            expression = deparse(constraint.raw_expr)
            what = f"CHECK ({expression}) on {table}: violating rows"
            found = table_facts.check_violations(self.conn, table, expression, self.key(table))
            result.checks.append(DataCheck("check", what, *found))

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
        groups, *found = table_facts.duplicate_rows(self.conn, table, columns)
        what = f"{'PRIMARY KEY' if primary else 'UNIQUE'} on {table}({', '.join(columns)})"
        in_groups = f" in {groups} group(s)" if groups else ""
        result.checks.append(DataCheck("unique", f"{what}: duplicate rows{in_groups}", *found))
        if not primary:
            return
        for column in columns:
            what = f"PRIMARY KEY on {table}.{column}: rows with NULL"
            nulls = table_facts.null_rows(self.conn, table, column, self.key(table))
            result.checks.append(DataCheck("not_null", what, *nulls))

    def _cast(self, table: str, command: Any, result: StatementPlan) -> None:
        from manage_db.dao import table_facts

        column_def = command.def_
        if getattr(column_def, "raw_default", None) is not None:
            result.notes.append("USING expression: cast not checked")
            return
        type_sql = deparse(column_def.typeName)
        count, samples, error, lower_bound = table_facts.cast_failures(
            self.conn, table, command.name, type_sql
        )
        at_least = " (at least, first values tried)" if lower_bound and count else ""
        what = f"ALTER COLUMN {table}.{command.name} TYPE {type_sql}: rows that do not cast"
        error = None if count else error
        result.checks.append(DataCheck("type_cast", what + at_least, count, samples, error))


def _function_names(node: Any) -> set[str]:
    """Every function called anywhere in an expression."""
    from manage_db.sql.nodes import node_name

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
