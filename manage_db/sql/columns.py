"""Column definitions as PostgreSQL's grammar gives them (a ColumnDef node)."""

from __future__ import annotations

from typing import Any

# Column types whose values come from a sequence: a default by another name.
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})


def type_name(column: Any) -> str:
    """The type of a column definition, without its schema ('' when it names none)."""
    return str(column.typeName.names[-1].sval) if column.typeName else ""
