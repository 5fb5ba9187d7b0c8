"""Branches of a revision that run only on another database than PostgreSQL.

Revisions written for several dialects guard their SQLite or MySQL statements with a test on
the dialect's name (``if op.get_bind().dialect.name == "sqlite":``, ``!= "postgresql"``,
``in ("mysql", "sqlite")``); what such a branch holds is not PostgreSQL's SQL and never runs
here, so it is not read as such.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

_POSTGRESQL_NAMES = frozenset({"postgresql", "postgres"})


def dialect_names(tree: ast.Module) -> set[str]:
    """Names assigned a dialect's name somewhere (``dialect = bind.dialect.name``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_dialect_name(node.value, set()):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def other_dialect_nodes(
    statement: ast.stmt, names: set[str], constants: Mapping[str, ast.expr]
) -> set[int]:
    """ids of every node inside a branch that runs only on a dialect other than PostgreSQL
    (``constants``: the module's, for ``== MYSQL_ENGINE``)."""
    skipped: set[int] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.If) and id(node) not in skipped:
            other_in_body = _other_dialect_in_body(node.test, names, constants)
            if other_in_body is not None:
                for part in node.body if other_in_body else node.orelse:
                    skipped.update(id(inner) for inner in ast.walk(part))
    return skipped


def _is_dialect_name(node: ast.expr, names: set[str]) -> bool:
    """``<x>.dialect.name``, ``dialect.name``, ``<x>.engine.name``, or a name holding one."""
    if isinstance(node, ast.Name):
        return node.id in names
    if not isinstance(node, ast.Attribute) or node.attr != "name":
        return False
    owner = node.value
    owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return owner_name in ("dialect", "engine")


def _other_dialect_in_body(
    test: ast.expr, names: set[str], constants: Mapping[str, ast.expr]
) -> bool | None:
    """True: the body runs only on another dialect; False: the else branch does; None: neither
    (or the test is not about the dialect)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _other_dialect_in_body(test.operand, names, constants)
        return None if inner is None else not inner
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, right = test.left, test.comparators[0]
    if not _is_dialect_name(left, names):
        left, right = right, left
        if not _is_dialect_name(left, names):
            return None
    if isinstance(right, ast.Name) and right.id in constants:
        right = constants[right.id]
    literals = _string_literals(right)
    if not literals:
        return None
    postgresql = bool(_POSTGRESQL_NAMES & literals)
    if isinstance(test.ops[0], ast.Eq | ast.In):
        return not postgresql  # the else branch runs on none of them: not on PostgreSQL
    if isinstance(test.ops[0], ast.NotEq | ast.NotIn):
        return postgresql
    return None


def _string_literals(node: ast.expr) -> set[str]:
    items: Iterable[ast.expr] = (
        node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    )
    strings = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    return set(strings) if len(strings) == len(list(items)) else set()
