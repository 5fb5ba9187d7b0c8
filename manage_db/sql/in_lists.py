"""``col IN ('a', 'b')`` given back to check expressions that pg_dump prints as ``ANY (ARRAY)``.

PostgreSQL stores ``state IN ('a', 'b')`` on a varchar column as
``(state)::text = ANY ((ARRAY['a'::varchar, 'b'::varchar])::text[])``, which is what pg_dump
prints; read back, that text casts each element instead of the array, so a database built from
the dump holds another expression than the history's (Wazo's alembic_squash rewrites it with a
regular expression; its README lists the noise). Here the statement is parsed (pglast), each
such ``= ANY`` whose array is a cast list of cast constants is turned back into the ``IN`` list
it came from, and the statement deparsed. The squash's proof compares the catalogs: a rewrite
that did not give the history's expression back is reported, never written.
"""

from __future__ import annotations

from typing import Any

_KINDS = ("CreateStmt", "AlterTableStmt", "CreateDomainStmt", "AlterDomainStmt")


def rewrite(text: str, kind: str) -> str:
    """``text`` (one statement of kind ``kind``) with its ``= ANY (ARRAY[…])`` checks as ``IN``
    lists; unchanged when it has none."""
    if kind not in _KINDS or "ANY" not in text.upper():
        return text
    from pglast import parse_sql

    from manage_db.sql.deparse import deparse

    (statement,) = parse_sql(text)
    if not _walk(statement):
        return text
    return f"{deparse(statement)};"


def _walk(node: Any) -> bool:
    """Rewrite every match under ``node`` in place; whether any was found."""
    found = False
    for name in getattr(node, "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, tuple):
            items = list(value)
            for index, item in enumerate(items):
                replacement = _in_list(item)
                if replacement is not None:
                    items[index], found = replacement, True
                found = _walk(items[index]) or found
            setattr(node, name, tuple(items))
        elif hasattr(value, "__slots__"):
            replacement = _in_list(value)
            if replacement is not None:
                setattr(node, name, replacement)
                found = True
            found = _walk(getattr(node, name)) or found
    return found


def _in_list(node: Any) -> Any:
    """The ``IN`` expression a ``x::t = ANY ((ARRAY[c1::u, …])::t[])`` node came from, or None."""
    from pglast import ast, enums

    if type(node).__name__ != "A_Expr" or node.kind != enums.A_Expr_Kind.AEXPR_OP_ANY:
        return None
    if [getattr(n, "sval", None) for n in node.name or ()] != ["="]:
        return None
    left, right = node.lexpr, node.rexpr
    if type(left).__name__ != "TypeCast" or type(right).__name__ != "TypeCast":
        return None
    array = right.arg
    if type(array).__name__ != "A_ArrayExpr" or not array.elements:
        return None
    constants = []
    for element in array.elements:
        if type(element).__name__ != "TypeCast" or type(element.arg).__name__ != "A_Const":
            return None
        constants.append(element.arg)
    return ast.A_Expr(
        kind=enums.A_Expr_Kind.AEXPR_IN,
        name=(ast.String(sval="="),),
        lexpr=left.arg,
        rexpr=tuple(constants),
    )
