"""Parse SQL text with PostgreSQL's own grammar (pglast) into located statements.

Works with pglast 5 (Debian 12) and 8 (PyPI): node and enum *names* are the same in both, their
numbers are not, so code compares names (see ``manage_db.sql.nodes``). Statement offsets returned
here are character offsets into the text given, so callers can map them back to a file: pglast
reports byte offsets, converted to characters differently by each version (pglast 5 even gets
error positions wrong), so the parser is given an ASCII copy of the text where each non-ASCII
character is one ``x`` (grammar and offsets unchanged: PostgreSQL treats those characters as
identifier letters, and otherwise they only occur in literals and comments).
PL/pgSQL bodies (``DO`` blocks and functions) are opened and their statements, including
``EXECUTE 'literal'`` and ``EXECUTE format('literal', ...)``, are returned as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from manage_db.sql.nodes import node_name, wrap

_PSQL_META = re.compile(r"^\\[A-Za-z!?].*$", re.MULTILINE)
_COPY_FROM_STDIN = re.compile(
    r"^COPY\b[^;]*\bFROM\s+stdin\b[^;]*;[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_FORMAT_DIRECTIVE = re.compile(r"%(?:\d+\$)?-?\d*[sIL%]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class _LazyPglastModules:
    """A finder that makes pglast's Python syntax tree and enums load on first use.

    pglast's C parser imports ``pglast.ast`` and ``pglast.enums`` when it loads, though its JSON
    output (all this module reads) needs neither: together they are most of the time pglast
    takes to import (pglast 5 and 8 alike). While the parser loads, they are given
    :class:`importlib.util.LazyLoader`s: each module's code runs when an attribute of it is first
    read (by ``pglast.parse_sql``, ``sql/deparse.py`` or ``sql/in_lists.py``), not before.
    """

    _NAMES = ("pglast.ast", "pglast.enums")

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in cls._NAMES and not name.startswith("pglast.enums."):
            return None
        import importlib.util
        import sys

        sys.meta_path.remove(cls)  # the other finders, not this one again
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, cls)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def _pglast_parser() -> Any:
    """``pglast.parser`` (the C extension), its Python syntax tree and enums not yet run."""
    import sys

    parser = sys.modules.get("pglast.parser")
    if parser is not None:
        return parser
    sys.meta_path.insert(0, _LazyPglastModules)  # type: ignore[arg-type]
    try:
        import pglast.parser
    finally:
        sys.meta_path.remove(_LazyPglastModules)  # type: ignore[arg-type]
    return pglast.parser


class SqlSyntaxError(Exception):
    """The text is not valid SQL (or PL/pgSQL); ``offset`` is a character offset in it."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


@dataclass
class ParsedStatement:
    """A statement node, the character offset of its first keyword, and its (folded) text."""

    node: Any
    offset: int
    text: str


def blank_psql_script(text: str) -> str:
    """Blank psql meta-commands and ``COPY ... FROM stdin`` data, keeping every offset.

    pg_dump output is a psql script, not pure SQL: ``\\connect`` lines and inline COPY data
    are not part of the grammar.
    """
    if "\\" not in text:
        return text
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "

    for match in _COPY_FROM_STDIN.finditer(text):
        data_start = match.end()
        terminator = re.compile(r"^\\\.[ \t]*$", re.MULTILINE).search(text, data_start)
        data_end = terminator.end() if terminator else len(text)
        blank(data_start, data_end)
    blanked = "".join(chars)
    for match in _PSQL_META.finditer(blanked):
        blank(match.start(), match.end())
    return "".join(chars)


def ascii_folded(text: str) -> str:
    """``text`` with each non-ASCII character replaced by ``x``: byte offsets = characters."""
    return text if text.isascii() else _NON_ASCII.sub("x", text)


def _skip_blank_and_comments(text: str, pos: int, end: int) -> int:
    while pos < end:
        if text[pos].isspace():
            pos += 1
        elif text.startswith("--", pos):
            newline = text.find("\n", pos)
            pos = end if newline < 0 else newline + 1
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            pos = end if close < 0 else close + 2
        else:
            break
    return pos


def parse_statements(text: str) -> list[ParsedStatement]:
    """Top-level statements of ``text``; raises :class:`SqlSyntaxError`."""
    text = ascii_folded(text)  # statement texts too, so bodies are found in them
    parser = _pglast_parser()
    try:
        raw_statements = json.loads(parser.parse_sql_json(text)).get("stmts", ())
    except parser.ParseError as error:
        location = error.args[1] if len(error.args) > 1 and error.args[1] else 0
        raise SqlSyntaxError(str(error.args[0]), location) from None
    statements = []
    for raw in raw_statements:
        start = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0)
        end = start + length if length else len(text)
        start = _skip_blank_and_comments(text, start, end)
        statements.append(ParsedStatement(wrap(raw["stmt"]), start, text[start:end]))
    return statements


def iter_statements(
    text: str, body_errors: list[SqlSyntaxError] | None = None
) -> Iterator[ParsedStatement]:
    """Every statement of ``text``, each followed by those inside its PL/pgSQL body, if any.

    With ``body_errors``, a function or DO body that does not parse is recorded there and the
    statements after it are still returned (one bad body must not hide a file's findings).
    """
    for statement in parse_statements(text):
        yield statement
        if body_errors is None:
            yield from _body_statements(statement)
            continue
        try:
            yield from _body_statements(statement)
        except SqlSyntaxError as error:
            body_errors.append(error)


def _body_statements(statement: ParsedStatement) -> Iterator[ParsedStatement]:
    node = statement.node
    kind = node_name(node)
    if kind == "DoStmt":
        options = {d.defname: d.arg for d in node.args or ()}
        language = getattr(options.get("language"), "sval", "plpgsql")
        body = getattr(options.get("as"), "sval", None)
        if body is None:
            return
        wrapper_head = "CREATE FUNCTION pg_temp.manage_db_lint_do() RETURNS void LANGUAGE "
        yield from _function_body(statement, body, language, wrapper_head)
    elif kind == "CreateFunctionStmt":
        for inner in node.sql_body or ():
            # BEGIN ATOMIC bodies are already parsed; they are lists of statements.
            for sub in inner if isinstance(inner, tuple | list) else (inner,):
                if sub is not None:
                    yield ParsedStatement(sub, statement.offset, statement.text)
        options = {d.defname: d.arg for d in node.options or ()}
        language = getattr(options.get("language"), "sval", "sql")
        as_value = options.get("as")
        if isinstance(as_value, tuple | list) and as_value:
            body = getattr(as_value[0], "sval", None)
            if body is not None:
                yield from _function_body(statement, body, language, None)


def _function_body(
    statement: ParsedStatement, body: str, language: str, wrapper_head: str | None
) -> Iterator[ParsedStatement]:
    found = statement.text.find(body) if body else -1
    body_offset = statement.offset + (found if found >= 0 else 0)
    exact = found >= 0
    if language == "sql":
        try:
            inner = list(iter_statements(body))
        except SqlSyntaxError as error:
            raise SqlSyntaxError(f"in function body: {error}", body_offset + error.offset) from None
        for sub in inner:
            yield ParsedStatement(
                sub.node, body_offset + sub.offset if exact else body_offset, sub.text
            )
        return
    if language != "plpgsql":
        return
    if wrapper_head is None:
        source = statement.text
        line_base = statement.text[: found if exact else 0].count("\n")
    else:
        tag = "$manage_db_lint$"
        source = f"{wrapper_head}plpgsql AS {tag}{body}{tag}"
        line_base = 0
    parser = _pglast_parser()
    try:
        tree = json.loads(parser.parse_plpgsql_json(source))
    except parser.ParseError as error:
        if _needs_the_catalog(str(error.args[0])):
            return  # the body is not checked: only the server can tell
        raise SqlSyntaxError(f"in PL/pgSQL body: {error.args[0]}", body_offset) from None
    body_lines = _line_starts(body)
    for query, lineno, dynamic in _plpgsql_queries(tree):
        # lineno counts from the line the body starts on (for whole statements: the text).
        body_line = lineno - 1 - line_base if wrapper_head is None else lineno - 1
        line_offset = body_lines[body_line] if 0 <= body_line < len(body_lines) else 0
        sql = _dynamic_sql(query) if dynamic else query
        if sql is None:
            continue
        at = body.find(sql, line_offset) if exact else -1
        base = body_offset + (at if at >= 0 else line_offset if exact else 0)
        try:
            inner = list(iter_statements(sql))
        except SqlSyntaxError:
            if dynamic:  # a format() template with placeholders may not parse: not a finding
                continue
            raise SqlSyntaxError(f"in PL/pgSQL body: cannot parse {sql!r}", base) from None
        for sub in inner:
            yield ParsedStatement(sub.node, base + sub.offset if at >= 0 else base, sub.text)


def _needs_the_catalog(message: str) -> bool:
    """A PL/pgSQL error about a field of a variable (``"state.tokens" is not a known
    variable``): whether the field exists depends on the variable's composite type, which
    libpg_query cannot look up without a catalog (pglast 5 refuses what the server and pglast 8
    accept), so it is no syntax error of the text."""
    name, _, rest = message.rpartition('" ')
    return rest == "is not a known variable" and "." in name


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return starts


def _plpgsql_queries(tree: Any) -> Iterator[tuple[str, int, bool]]:
    """(query, lineno, dynamic) for each SQL statement and EXECUTE in a PL/pgSQL parse tree."""
    stack = [(tree, 0)]
    while stack:
        item, lineno = stack.pop()
        if isinstance(item, list):
            stack.extend((sub, lineno) for sub in reversed(item))
        elif isinstance(item, dict):
            lineno = item.get("lineno", lineno)
            for key, value in item.items():
                if key == "PLpgSQL_stmt_execsql":
                    expr = value.get("sqlstmt", {}).get("PLpgSQL_expr", {})
                    yield expr.get("query", ""), value.get("lineno", lineno), False
                elif key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                    expr = value.get("query", {}).get("PLpgSQL_expr", {})
                    yield expr.get("query", ""), value.get("lineno", lineno), True
                else:
                    stack.append((value, lineno))


def _dynamic_sql(expression: str) -> str | None:
    """The SQL an ``EXECUTE`` runs, when it is a literal or ``format('literal', ...)``."""
    try:
        (raw,) = parse_statements(f"SELECT {expression}")
    except (SqlSyntaxError, ValueError):
        return None
    targets: Any = getattr(raw.node, "targetList", None) or ()
    if len(targets) != 1:
        return None
    value = targets[0].val
    if node_name(value) == "FuncCall" and value.funcname[-1].sval == "format" and value.args:
        template = _string_constant(value.args[0])
        if template is None:
            return None
        return _FORMAT_DIRECTIVE.sub(lambda m: "%" if m.group() == "%%" else "x", template)
    return _string_constant(value)


def _string_constant(node: Any) -> str | None:
    if node_name(node) == "A_Const":
        return getattr(getattr(node, "val", None), "sval", None)
    if node_name(node) == "TypeCast":
        return _string_constant(node.arg)
    return None
