"""constraint-without-not-valid: ADD FOREIGN KEY or CHECK on an existing table, validated at once
(`ADD COLUMN ... REFERENCES` too, or `VALIDATE` in the transaction that added it NOT VALID).

Why: validating scans the whole table; a FOREIGN KEY holds SHARE ROW EXCLUSIVE on both tables
and a CHECK an ACCESS EXCLUSIVE lock during the scan. ``NOT VALID`` then ``VALIDATE CONSTRAINT``
in the same transaction (one alembic revision) gains nothing: the lock ADD took is held through
the scan.
Instead: add it ``NOT VALID`` (instant), then ``VALIDATE CONSTRAINT`` in another transaction (a
later revision, or an ``autocommit_block()``), which takes only a SHARE UPDATE EXCLUSIVE lock.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.unit_facts import same_transaction
from manage_db.sql.locks import (
    ACCESS_EXCLUSIVE,
    SHARE_ROW_EXCLUSIVE,
    alter_table_commands,
    relation_name,
)
from manage_db.sql.nodes import enum_name

_LOCKS = {
    "CONSTR_FOREIGN": ("FOREIGN KEY", SHARE_ROW_EXCLUSIVE),
    "CONSTR_CHECK": ("CHECK", ACCESS_EXCLUSIVE),
}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    table = relation_name(statement.node.relation)
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        subtype = enum_name(command.subtype)
        if subtype == "AT_AddConstraint":
            constraint = command.def_
            kind = enum_name(constraint.contype)
            if kind in _LOCKS and not constraint.skip_validation:
                what, lock = _LOCKS[kind]
                yield f"ADD {what} without NOT VALID scans existing table {table} under a {lock}"
        elif subtype == "AT_AddColumn":
            yield from _column_references(table, command.def_)
        elif subtype == "AT_ValidateConstraint":
            yield from _validated_in_same_transaction(state, table or "", command.name)


def _column_references(table: str | None, column: Any) -> Iterator[str]:
    for constraint in column.constraints or ():
        if enum_name(constraint.contype) == "CONSTR_FOREIGN":
            yield (
                f"ADD COLUMN {column.colname} REFERENCES validates the FOREIGN KEY at once: it "
                f"scans existing table {table} under a {SHARE_ROW_EXCLUSIVE}"
            )


def _validated_in_same_transaction(state: UnitState, table: str, name: str) -> Iterator[str]:
    added = state.constraints.not_valid.get((table, name))
    if added is not None and same_transaction(state, added[0]):
        what, lock = _LOCKS.get(added[1], ("constraint", ACCESS_EXCLUSIVE))
        yield (
            f"VALIDATE CONSTRAINT {name} in the transaction that added it NOT VALID: "
            f"the {lock} ADD {what} took on {table} is held through the scan"
        )


RULE = StatementRule(
    code="MDB506",
    name="constraint-without-not-valid",
    severity=WARNING,
    hint="ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later revision or an "
    "autocommit_block()",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
