"""ALTER TABLE on a table that exists before the revision: what the unsafe-DDL rules look at.

A table the same revision created is empty and unused yet, so what ALTER TABLE does to it costs
nothing; the rules and the plan only ask about the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manage_db.lint.locks import alter_table_commands, relation_name
from manage_db.lint.model import Statement, UnitState
from manage_db.lint.nodes import enum_name

# Column types whose values come from a sequence: a default by another name.
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})


def existing_table_commands(
    statement: Statement, state: UnitState, subtype: str
) -> Iterator[tuple[str | None, Any]]:
    """(table, subcommand) for each ``subtype`` (``AT_AddColumn``…) subcommand of an ALTER
    TABLE whose table the revision did not create."""
    table = relation_name(getattr(statement.node, "relation", None))
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        if enum_name(command.subtype) == subtype:
            yield table, command


def type_name(column: Any) -> str:
    """The type of a column definition, without its schema ('' when it names none)."""
    return str(column.typeName.names[-1].sval) if column.typeName else ""
