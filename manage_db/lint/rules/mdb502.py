"""add-column-not-null-without-default: ADD COLUMN ... NOT NULL with no default.

Why: on a table with rows it fails outright (existing rows would be NULL), under an
ACCESS EXCLUSIVE lock; it only passes on the developer's empty database.
Instead: add the column with a constant ``server_default``, or nullable, backfill, then
enforce NOT NULL (see missing-lock-timeout and set-not-null for the safe order).
"""

from collections.abc import Iterator

from manage_db.lint.locks import ACCESS_EXCLUSIVE, alter_table_commands, relation_name
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.lint.nodes import enum_name

_FILLED_TYPES = {"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    table = relation_name(getattr(statement.node, "relation", None))
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        if enum_name(command.subtype) != "AT_AddColumn":
            continue
        column = command.def_
        kinds = {enum_name(c.contype) for c in column.constraints or ()}
        type_name = column.typeName.names[-1].sval if column.typeName else ""
        not_null = column.is_not_null or "CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds
        filled = kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}
        if not_null and not filled and type_name not in _FILLED_TYPES:
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
