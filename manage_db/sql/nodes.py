"""Parse tree nodes as lint reads them, importable without importing pglast.

Statements are parsed with pglast's JSON output (PostgreSQL's own node format, built in C),
not its Python AST: building Python objects for every node of a dump's thousands of INSERTs
was most of lint's time. :class:`Node` gives the attribute access rules need, lazily. Node and
enum *names* are PostgreSQL's, the same with pglast 5 (Debian 12) and 8 (PyPI); enums are
their names as strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# pglast.ast's names for fields that are Python keywords
_ALIASES = {"def_": "def"}
_CONSTANTS = (("ival", "Integer"), ("sval", "String"), ("fval", "Float"), ("boolval", "Boolean"))


class Node:
    """One node: ``node.relation.relname``, ``node.cmds``; absent fields are None.

    PostgreSQL's JSON leaves out fields at their default (false, 0, empty), as None here.
    A field is wrapped on first read and kept (rules of one statement read the same fields).
    """

    __slots__ = ("node_type", "fields", "__dict__")

    def __init__(self, node_type: str, fields: dict[str, Any]):
        self.node_type = node_type
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        if name == "val" and self.node_type == "A_Const":
            value: Any = self._constant()
        else:
            raw = self.fields.get(_ALIASES.get(name, name))
            value = None if raw is None else wrap(raw)
        self.__dict__[name] = value
        return value

    def _constant(self) -> Node | None:
        for key, node_type in _CONSTANTS:
            if key in self.fields:
                inner = dict(self.fields[key])
                inner.setdefault(key, 0 if key == "ival" else False if key == "boolval" else "")
                return Node(node_type, inner)
        return None

    def __repr__(self) -> str:
        return f"<{self.node_type or 'Node'} {self.fields!r}>"


def wrap(value: Any) -> Any:
    """A JSON value as a node: tagged objects are :class:`Node`, lists (and List) tuples."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key[:1].isupper() and isinstance(inner, dict):
                if key == "List":
                    return tuple(wrap(item) for item in inner.get("items", ()))
                return Node(key, inner)
        return Node("", value)
    if isinstance(value, list):
        return tuple(wrap(item) for item in value)
    return value


def children(node: Any) -> Iterator[Any]:
    """The direct sub-nodes of a node (or the items of a tuple)."""
    if isinstance(node, tuple):
        yield from node
    elif isinstance(node, Node):
        for key in node.fields:
            yield getattr(node, key)


def enum_name(value: Any) -> str:
    """The symbolic name of an enum value (``OBJECT_TABLE``)."""
    return getattr(value, "name", str(value))


def node_name(node: Any) -> str:
    """The node's type name, e.g. ``GrantStmt``."""
    return node.node_type if isinstance(node, Node) else type(node).__name__
