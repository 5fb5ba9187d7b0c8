"""add-column-not-null-without-default: ADD COLUMN ... NOT NULL with no default.

Why: on a table with rows it fails outright (existing rows would be NULL), under an
ACCESS EXCLUSIVE lock; it only passes on the developer's empty database.
Instead: add the column with a constant ``server_default``, or nullable, backfill, then
enforce NOT NULL (see missing-lock-timeout and set-not-null for the safe order).
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.columns import SERIAL_TYPES, type_name
from manage_db.sql.locks import ACCESS_EXCLUSIVE
from manage_db.sql.nodes import enum_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_AddColumn"):
        column = command.def_
        kinds = {enum_name(c.contype) for c in column.constraints or ()}
        not_null = column.is_not_null or "CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds
        filled = kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}
        if not_null and not filled and type_name(column) not in SERIAL_TYPES:
            yield (
                f"ADD COLUMN {column.colname} NOT NULL without a default on existing table "
                f"{table} fails if it has rows (and takes an {ACCESS_EXCLUSIVE})"
            )


RULE = StatementRule(
    code="MDB502",
    name="add-column-not-null-without-default",
    severity=WARNING,
    hint="give it a constant server_default, or add it nullable, backfill, then SET NOT NULL",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
