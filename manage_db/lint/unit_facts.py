"""What ALTER TABLE, CREATE INDEX and CREATE FUNCTION tell the rules about later statements.

A ``SET NOT NULL`` after a validated ``CHECK (col IS NOT NULL)`` needs no scan (PostgreSQL 12+);
a ``VALIDATE CONSTRAINT`` in the transaction that added the constraint ``NOT VALID`` gains
nothing; a default calling a function the revision declared ``IMMUTABLE`` rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from manage_db.lint.model import UnitState
from manage_db.sql.locks import alter_table_commands, relation_name
from manage_db.sql.nodes import enum_name, node_name, wrap

# The statements :func:`record` learns from.
FACT_STATEMENTS = frozenset({"AlterTableStmt", "IndexStmt", "CreateFunctionStmt"})


def record(state: UnitState, node: Any) -> None:
    """Update ``state`` with what ``node`` (one of :data:`FACT_STATEMENTS`) did."""
    kind = node_name(node)
    if kind == "AlterTableStmt":
        table = relation_name(node.relation)
        if table is None or table in state.fresh_tables:
            return  # what a new table's constraints are costs nothing to the rules
        for command in alter_table_commands(node):
            _record_command(state, table, command)
    elif kind == "IndexStmt" and node.idxname:
        state.indexes_created.add(node.idxname)
    elif kind == "CreateFunctionStmt":
        volatility = next(
            (o.arg.sval for o in node.options or () if getattr(o, "defname", "") == "volatility"),
            "volatile",
        )
        state.functions_declared[node.funcname[-1].sval] = volatility != "volatile"


def _record_command(state: UnitState, table: str, command: Any) -> None:
    facts = state.constraints
    subtype = enum_name(command.subtype)
    if subtype == "AT_AddConstraint":
        constraint = command.def_
        kind = enum_name(constraint.contype)
        name = constraint.conname or ""
        column = not_null_column(constraint) if kind == "CONSTR_CHECK" else None
        if column is not None:
            facts.not_null_checks[(table, name)] = column
        if constraint.skip_validation:
            facts.not_valid[(table, name)] = (state.transaction, kind)
        elif column is not None:
            facts.validated_not_null.add((table, column))
    elif subtype == "AT_ValidateConstraint":
        column = facts.not_null_checks.get((table, command.name))
        known = (table, command.name) in facts.not_valid
        if column is not None or not known:
            facts.validated_not_null.add((table, column or ""))
        if column is None and not known:
            facts.validated_elsewhere.add((table, command.name))


def not_null_column(constraint: Any) -> str | None:
    """The column of a ``CHECK (column IS NOT NULL)`` constraint, else None."""
    test = constraint.raw_expr
    if node_name(test) != "NullTest" or enum_name(test.nulltesttype) != "IS_NOT_NULL":
        return None
    if node_name(test.arg) != "ColumnRef":
        return None
    names = wrap(test.arg.fields.get("fields", ()))  # not Node.fields: ColumnRef's own field
    return getattr(names[-1], "sval", None) if names else None


def same_transaction(state: UnitState, transaction: int) -> bool:
    """Whether the statement now runs in the transaction numbered ``transaction``."""
    return state.in_transaction and state.transaction == transaction


def not_null_fact(table: str, column: str) -> str:
    """The fact "a validated CHECK (column IS NOT NULL) is on table" (see ``provides``)."""
    return f"not-null-check {table}.{column}"


def provided_facts(state: UnitState) -> tuple[str, ...]:
    """What a revision's upgrade() leaves for later ones: its validated NOT NULL checks, and
    those a later revision's ``VALIDATE CONSTRAINT`` completes (``FACT if CONDITION``)."""
    facts = state.constraints
    provided = {not_null_fact(t, c) for t, c in facts.validated_not_null if c}
    for (table, name), column in facts.not_null_checks.items():
        fact = not_null_fact(table, column)
        if fact not in provided:
            provided.add(f"{fact} if {_validated_fact(table, name)}")
    provided.update(_validated_fact(table, name) for table, name in facts.validated_elsewhere)
    return tuple(sorted(provided))


def _validated_fact(table: str, constraint: str) -> str:
    return f"validated {table}.{constraint}"
