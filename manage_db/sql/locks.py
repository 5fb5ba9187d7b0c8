"""Which lock a statement takes on which table, in the words the unsafe-DDL rules print."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manage_db.sql.nodes import enum_name, node_name

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE lock (blocks reads and writes)"
SHARE = "SHARE lock (blocks writes)"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE lock (blocks writes)"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE lock (reads and writes go on)"

# ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE.
_LIGHTER_SUBCOMMANDS = {
    "AT_ValidateConstraint": SHARE_UPDATE_EXCLUSIVE,
    "AT_SetStatistics": SHARE_UPDATE_EXCLUSIVE,
    "AT_ClusterOn": SHARE_UPDATE_EXCLUSIVE,
    "AT_DropCluster": SHARE_UPDATE_EXCLUSIVE,
    "AT_SetOptions": SHARE_UPDATE_EXCLUSIVE,
    "AT_ResetOptions": SHARE_UPDATE_EXCLUSIVE,
}


# The statements :func:`locks_taken` knows about.
LOCKING_STATEMENTS = frozenset(
    {"AlterTableStmt", "IndexStmt", "DropStmt", "RenameStmt", "TruncateStmt", "CreateTrigStmt"}
)


def relation_name(range_var: Any) -> str | None:
    """The table a RangeVar names, without its schema (migrations use one search_path)."""
    return getattr(range_var, "relname", None)


def alter_table_commands(node: Any) -> Iterator[Any]:
    """The subcommands of an ALTER TABLE on a table (not an index, view or sequence)."""
    if node_name(node) != "AlterTableStmt" or enum_name(node.objtype) != "OBJECT_TABLE":
        return
    yield from node.cmds or ()


def locks_taken(node: Any) -> list[tuple[str | None, str]]:
    """(table, lock) pairs for statements that lock a table long enough to queue traffic."""
    kind = node_name(node)
    if kind == "AlterTableStmt" and enum_name(node.objtype) == "OBJECT_TABLE":
        table = relation_name(node.relation)
        if table is None:
            return []
        locks = [
            _LIGHTER_SUBCOMMANDS.get(enum_name(c.subtype), ACCESS_EXCLUSIVE) for c in node.cmds
        ]
        strongest = ACCESS_EXCLUSIVE if ACCESS_EXCLUSIVE in locks else locks[0] if locks else None
        return [(table, strongest)] if strongest else []
    if kind == "IndexStmt":
        lock = SHARE_UPDATE_EXCLUSIVE if node.concurrent else SHARE
        return [(relation_name(node.relation), lock)]
    if kind == "DropStmt" and enum_name(node.removeType) == "OBJECT_TABLE":
        return [(_last_name(obj), ACCESS_EXCLUSIVE) for obj in node.objects or ()]
    if kind == "RenameStmt" and node.relation is not None:
        return [(relation_name(node.relation), ACCESS_EXCLUSIVE)]
    if kind == "TruncateStmt":
        return [(relation_name(r), ACCESS_EXCLUSIVE) for r in node.relations or ()]
    if kind == "CreateTrigStmt":
        return [(relation_name(node.relation), SHARE_ROW_EXCLUSIVE)]
    return []


def _last_name(names: Any) -> str:
    items = names if isinstance(names, tuple | list) else (names,)
    return getattr(items[-1], "sval", str(items[-1]))


def lock_wanted_by(statement: str) -> tuple[str, str] | None:
    """(table, lock) of the first table lock a statement's text takes, when it can be told.

    Only for a message after a failure: it imports the parser (pglast) then, never before, and
    says nothing when pglast is not installed (it is the optional ``lint`` extra) or the text
    does not parse.
    """
    try:
        from manage_db.sql.parse import parse_statements

        for parsed in parse_statements(statement):
            for table, lock in locks_taken(parsed.node):
                if table:
                    return table, lock
    except Exception:  # pglast missing, or SQL it cannot parse: say less
        import logging  # only here: lint's rules import this module, and log nothing

        logging.getLogger(__name__).debug("cannot tell the lock of %r", statement, exc_info=True)
    return None
