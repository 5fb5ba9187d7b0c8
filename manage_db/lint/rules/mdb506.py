"""constraint-without-not-valid: ADD FOREIGN KEY or CHECK on an existing table, validated at once.

Why: validating scans the whole table; a FOREIGN KEY holds SHARE ROW EXCLUSIVE on both tables
and a CHECK an ACCESS EXCLUSIVE lock during the scan.
Instead: add it ``NOT VALID`` (instant), then ``VALIDATE CONSTRAINT`` in a later statement, which
takes only a SHARE UPDATE EXCLUSIVE lock.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE, SHARE_ROW_EXCLUSIVE
from manage_db.sql.nodes import enum_name

_LOCKS = {
    "CONSTR_FOREIGN": ("FOREIGN KEY", SHARE_ROW_EXCLUSIVE),
    "CONSTR_CHECK": ("CHECK", ACCESS_EXCLUSIVE),
}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_AddConstraint"):
        constraint = command.def_
        kind = enum_name(constraint.contype)
        if kind in _LOCKS and not constraint.skip_validation:
            what, lock = _LOCKS[kind]
            yield f"ADD {what} without NOT VALID scans existing table {table} under a {lock}"


RULE = StatementRule(
    code="MDB506",
    name="constraint-without-not-valid",
    severity=WARNING,
    hint="ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT separately",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
