"""ALTER TABLE on a table that exists before the revision: what the unsafe-DDL rules look at.

A table the same revision created is empty and unused yet, so what ALTER TABLE does to it costs
nothing; the rules and the plan only ask about the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import Statement, UnitState
from manage_db.sql.locks import alter_table_commands, relation_name
from manage_db.sql.nodes import enum_name


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
