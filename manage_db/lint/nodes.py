"""Version-independent access to pglast nodes, importable without importing pglast.

pglast 5 (Debian 12) and 8 (PyPI) share node and enum *names* but not enum *numbers*, so
everything compares names.
"""

from __future__ import annotations

from typing import Any


def enum_name(value: Any) -> str:
    """The symbolic name of a pglast enum member, whatever its number in this pglast version."""
    return getattr(value, "name", str(value))


def node_name(node: Any) -> str:
    """The node's type name, e.g. ``GrantStmt``."""
    return type(node).__name__
