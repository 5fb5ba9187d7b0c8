"""volatile-default: ADD COLUMN whose default must be computed row by row.

Why: since PostgreSQL 11 a constant default is free, but a volatile one (``gen_random_uuid()``,
``random()``, ``clock_timestamp()``, a serial's ``nextval``, a stored generated column) rewrites
the whole table under an ACCESS EXCLUSIVE lock. A function lint does not know (``uuid()``, one
of the project's) is VOLATILE unless declared otherwise, as PostgreSQL takes it; one the same
revision creates ``IMMUTABLE`` or ``STABLE`` is not.
Instead: add the column with no (or a constant) default, backfill in batches, then
``ALTER COLUMN ... SET DEFAULT`` for new rows.
"""

import functools
from collections.abc import Iterator
from typing import Any

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.columns import SERIAL_TYPES, type_name
from manage_db.sql.functions import VOLATILE_FUNCTIONS
from manage_db.sql.locks import ACCESS_EXCLUSIVE
from manage_db.sql.nodes import children, enum_name, node_name


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for table, command in existing_table_commands(statement, state, "AT_AddColumn"):
        column = command.def_
        why = None
        if type_name(column) in SERIAL_TYPES:
            why = f"type {type_name(column)} (nextval)"
        for constraint in column.constraints or ():
            kind = enum_name(constraint.contype)
            if kind == "CONSTR_DEFAULT":
                function = _volatile_call(constraint.raw_expr, state.functions_declared)
                if function:
                    why = f"default {function}()"
                    if function not in VOLATILE_FUNCTIONS:
                        why += " (not known IMMUTABLE or STABLE: VOLATILE)"
            elif kind in ("CONSTR_GENERATED", "CONSTR_IDENTITY"):
                why = "a generated/identity value"
        if why:
            yield (
                f"ADD COLUMN {column.colname} with {why} rewrites existing table {table} "
                f"under an {ACCESS_EXCLUSIVE}"
            )


@functools.cache
def _non_volatile_functions() -> frozenset[str]:
    """PostgreSQL's IMMUTABLE and STABLE functions: loaded when a default calls a function."""
    from manage_db.sql.non_volatile_functions import NON_VOLATILE_FUNCTIONS

    return NON_VOLATILE_FUNCTIONS


def _volatile_call(node: Any, declared: dict[str, bool]) -> str | None:
    """The first volatile (or unknown) function called anywhere in an expression."""
    stack = [node]
    while stack:
        item = stack.pop()
        if node_name(item) == "FuncCall":
            name = item.funcname[-1].sval
            known = declared.get(name, name in _non_volatile_functions())
            if name in VOLATILE_FUNCTIONS or not known:
                return name
            stack.extend(item.args or ())
        else:
            stack.extend(children(item))
    return None


RULE = StatementRule(
    code="MDB503",
    name="volatile-default",
    severity=WARNING,
    hint="add the column without it, backfill in batches, then ALTER COLUMN ... SET DEFAULT",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
