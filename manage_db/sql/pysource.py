"""Read a Python revision with ``ast``: its identity, its downgrade, and every SQL string in it.

SQL is found in the string arguments of ``op.execute``, ``sa.text``/``text``, ``DDL``,
``<connection>.execute`` and ``exec_driver_sql``: literals, triple-quoted, implicitly
concatenated, f-strings, ``%``/``.format``/``+`` built strings and module-level constants.
Positions are resolved lazily (with ``tokenize``) because only findings need them.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

from manage_db.sql.branches import dialect_names, other_dialect_nodes

_SQL_CALLS = frozenset({"execute", "exec_driver_sql", "text", "DDL"})
_SQL_KEYWORDS = ("sqltext", "statement", "sql", "text", "clause")
_PHASES = ("upgrade", "downgrade")
_PERCENT_FORMAT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_BRACE_FORMAT = re.compile(r"\{[^{}]*\}")
# sqlalchemy text() bind parameters (``:name``, not ``::type`` casts), as SQLAlchemy finds them.
_BIND_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_TRIVIAL_BODY = (ast.Pass,)
# Stands for a value only known at run time; analysis tries an identifier, a string and a number
# of the same length in its place, so offsets do not move.
PLACEHOLDER = "\0\0\0"
PLACEHOLDER_VALUES = ("xxx", "'x'", "111")


@dataclass
class _Piece:
    start: int  # offset in the resolved text
    node: ast.expr  # where it comes from
    exact: bool  # text maps character by character onto the node's string token(s)


@dataclass
class SqlString:
    """A SQL text found in the revision, and how to map its offsets back to the file."""

    text: str
    phase: str  # upgrade, downgrade or module
    call: ast.Call
    in_autocommit_block: bool
    pieces: list[_Piece]
    source: PythonRevision = field(repr=False)
    # text() also builds expressions (server_default=sa.text("now()")): only a statement when
    # executed, so text that does not parse elsewhere is not an error.
    must_parse: bool = True

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of character ``offset`` of :attr:`text`."""
        piece = self.pieces[0]
        for candidate in self.pieces:
            if candidate.start <= offset:
                piece = candidate
        return self.source.locate_in_node(piece.node, offset - piece.start, piece.exact)


@dataclass
class OpCall:
    """An ``op.<method>(...)`` call of upgrade(); ``table`` is a batch_alter_table's table."""

    call: ast.Call
    method: str
    in_autocommit_block: bool
    table: ast.expr | None = None


@dataclass
class PythonRevision:
    """What lint needs to know about one revision file."""

    path: str
    source: str
    tree: ast.Module
    lines: list[str]
    revision: str | None = None
    has_revision: bool = False
    revision_line: int = 1
    down_revisions: tuple[str, ...] = ()
    has_down_revision: bool = False
    down_revision_line: int = 1
    irreversible: bool = False
    branch_labelled: bool = False  # sets branch_labels (a branch of its own may have its head)
    upgrade: ast.FunctionDef | None = None
    downgrade: ast.FunctionDef | None = None
    sql: list[SqlString] = field(default_factory=list)
    # op.* (and batch_op.*) calls that upgrade() runs, in source order
    op_calls: list[OpCall] = field(default_factory=list)
    constants: dict[str, ast.expr] = field(default_factory=dict, repr=False)
    # Names assigned a string somewhere (SQL built at run time when executed by name)
    string_names: set[str] = field(default_factory=set, repr=False)

    def locate_in_node(self, node: ast.expr, offset: int, exact: bool) -> tuple[int, int]:
        """Position of character ``offset`` of a string node's value (1-based line and column)."""
        line, col = node.lineno, self._char_col(node.lineno, node.col_offset)
        if not exact or not isinstance(node, ast.Constant):
            return line, col + 1
        for token_line, token_col, value in self._string_tokens(node):
            if offset <= len(value):
                before = value[:offset]
                newlines = before.count("\n")
                if newlines == 0:
                    return token_line, token_col + offset + 1
                return token_line + newlines, len(before) - before.rfind("\n")
            offset -= len(value)
        return line, col + 1

    def _char_col(self, lineno: int, byte_col: int) -> int:
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def _string_tokens(self, node: ast.Constant) -> list[tuple[int, int, str]]:
        """(line, column of the value's first character, value) of each string token."""
        start_col = self._char_col(node.lineno, node.col_offset)
        end_line = node.end_lineno or node.lineno
        end_col = self._char_col(end_line, node.end_col_offset or 0)
        segment = self.lines[node.lineno - 1 : end_line]
        segment[-1] = segment[-1][:end_col]
        segment[0] = " " * start_col + segment[0][start_col:]
        tokens = []
        try:
            for token in tokenize.generate_tokens(io.StringIO("\n".join(segment)).readline):
                if token.type != tokenize.STRING:
                    continue
                body = token.string.lstrip("rRbBuU")
                prefix_len = len(token.string) - len(body)
                quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
                value = ast.literal_eval(token.string)
                line = node.lineno + token.start[0] - 1
                col = token.start[1] + prefix_len + len(quote)
                raw_inner = body[len(quote) : len(body) - len(quote)]
                if value != raw_inner:  # escapes: map the whole token to its start
                    value = "\0" * len(value)
                tokens.append((line, col, value))
        except (tokenize.TokenError, SyntaxError, ValueError):
            return []
        return tokens


def read_revision(path: str, source: str) -> PythonRevision:
    """Parse a revision file; raises ``SyntaxError`` when it is not valid Python."""
    tree = ast.parse(source, filename=path)
    revision = PythonRevision(path=path, source=source, tree=tree, lines=source.splitlines())
    constants: dict[str, ast.expr] = {}
    for statement in tree.body:
        targets, value = _assignment(statement)
        for name in targets:
            constants[name] = value
            _record_identity(revision, name, value, statement.lineno)
        if isinstance(statement, ast.FunctionDef) and statement.name in ("upgrade", "downgrade"):
            setattr(revision, statement.name, statement)
    revision.constants = constants
    _Collector(revision, constants).collect()
    return revision


def _assignment(statement: ast.stmt) -> tuple[list[str], ast.expr]:
    if isinstance(statement, ast.Assign):
        names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        return names, statement.value
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        if isinstance(statement.target, ast.Name):
            return [statement.target.id], statement.value
    return [], ast.Constant(None)


def _record_identity(revision: PythonRevision, name: str, value: ast.expr, line: int) -> None:
    if name == "revision":
        revision.has_revision = True
        revision.revision_line = line
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            revision.revision = value.value
    elif name == "down_revision":
        revision.has_down_revision = True
        revision.down_revision_line = line
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            revision.down_revisions = (value.value,)
        elif isinstance(value, ast.Tuple | ast.List):
            revision.down_revisions = tuple(
                e.value
                for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    elif name == "branch_labels":
        revision.branch_labelled = not (isinstance(value, ast.Constant) and not value.value)
    elif name == "irreversible":
        revision.irreversible = isinstance(value, ast.Constant) and value.value is True


def downgrade_state(revision: PythonRevision) -> str:
    """``missing``, ``empty`` (only pass/docstring/...), ``raises`` or ``real``."""
    function = revision.downgrade
    if function is None:
        return "missing"
    body = [
        s
        for s in function.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        and not isinstance(s, _TRIVIAL_BODY)
    ]
    if not body:
        return "empty"
    if len(body) == 1 and isinstance(body[0], ast.Raise):
        return "raises"
    return "real"


def _with_placeholder(match: re.Match[str]) -> str:
    return PLACEHOLDER.ljust(len(match.group()))


def _without_parameters(call: ast.Call, call_name: str, text: str) -> str:
    """Placeholders for the bind parameters of text() (``:name``), exec_driver_sql and a string
    executed with parameters (DB-API ``%s``/``%(name)s``, ``%%`` for ``%``; or ``:name``)."""
    if call_name == "text":
        return _BIND_PARAMETER.sub(_with_placeholder, text)
    if call_name == "exec_driver_sql":
        return _PERCENT_FORMAT.sub(_with_placeholder, text).replace("%%", "% ")
    if call_name == "execute" and _has_parameters(call):
        # A driver's (%s, %(name)s) or SQLAlchemy 1.x's plain string (:name) with parameters.
        text = _PERCENT_FORMAT.sub(_with_placeholder, text).replace("%%", "% ")
        return _BIND_PARAMETER.sub(_with_placeholder, text)
    return text


def _has_parameters(call: ast.Call) -> bool:
    """A ``<connection or cursor>.execute(sql, parameters)`` (op.execute takes none)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id == "op":
            return False
    named = {"parameters", "params", "multiparams", "vars", "args"}
    return len(call.args) > 1 or any(k.arg in named for k in call.keywords)


def _builds_string(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _builds_string(node.left) or _builds_string(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _builds_string(node.func.value)
    return False


def _called_from_upgrade(upgrade: ast.FunctionDef | None) -> set[str]:
    """Names upgrade() calls: module-level helpers whose op.* calls run in the upgrade."""
    if upgrade is None:
        return set()
    return {
        node.func.id
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Collector:
    """Finds SQL strings and connection-bound calls, with their phase and autocommit context.

    ``ast.walk`` per top-level statement (much faster than a NodeVisitor); strings are put back
    in source order at the end.
    """

    def __init__(self, revision: PythonRevision, constants: dict[str, ast.expr]):
        self.revision = revision
        self.constants = constants

    def collect(self) -> None:
        helpers = _called_from_upgrade(self.revision.upgrade)
        # Only a revision that names a dialect or an engine can test one (two walks saved).
        source = self.revision.source
        guarded = "dialect.name" in source or "engine.name" in source
        dialects = dialect_names(self.revision.tree) if guarded else set()
        constants = self.constants
        for statement in self.revision.tree.body:
            phase = "module"
            if isinstance(statement, ast.FunctionDef) and statement.name in _PHASES:
                phase = statement.name
            runs_in_upgrade = phase == "upgrade" or (
                isinstance(statement, ast.FunctionDef) and statement.name in helpers
            )
            autocommit: set[int] = set()
            batches: dict[str, ast.expr] = {}  # with op.batch_alter_table(t) as name
            executed: set[int] = set()  # text() calls passed straight to an execute call
            other_dialect = other_dialect_nodes(statement, dialects, constants) if guarded else ()
            for node in ast.walk(statement):
                if id(node) in other_dialect:
                    continue
                if isinstance(node, ast.With):
                    for item in node.items:
                        context = item.context_expr
                        if not isinstance(context, ast.Call):
                            continue
                        if _call_name(context) == "autocommit_block":
                            autocommit.update(id(inner) for inner in ast.walk(node))
                        elif _call_name(context) == "batch_alter_table" and context.args:
                            if isinstance(item.optional_vars, ast.Name):
                                batches[item.optional_vars.id] = context.args[0]
                elif isinstance(node, ast.Call):
                    if runs_in_upgrade:
                        self._op_call(node, id(node) in autocommit, batches)
                    self._call(node, phase, id(node) in autocommit, executed)
                elif isinstance(node, ast.Assign) and _builds_string(node.value):
                    # names assigned a string anywhere (the walk covers the whole module)
                    names = (t.id for t in node.targets if isinstance(t, ast.Name))
                    self.revision.string_names.update(names)
        self.revision.sql.sort(key=lambda s: (s.call.lineno, s.call.col_offset))
        self.revision.op_calls.sort(key=lambda c: (c.call.lineno, c.call.col_offset))

    def _op_call(self, node: ast.Call, in_autocommit: bool, batches: dict[str, ast.expr]) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return
        if func.value.id == "op":
            self.revision.op_calls.append(OpCall(node, func.attr, in_autocommit))
        elif func.value.id in batches:
            table = batches[func.value.id]
            self.revision.op_calls.append(OpCall(node, func.attr, in_autocommit, table))

    def _call(self, node: ast.Call, phase: str, in_autocommit: bool, executed: set[int]) -> None:
        name = _call_name(node)
        if name not in _SQL_CALLS:
            return
        argument = node.args[0] if node.args else None
        for keyword in node.keywords:
            if argument is None and keyword.arg in _SQL_KEYWORDS:
                argument = keyword.value
        if argument is None or isinstance(argument, ast.Lambda):
            return
        if isinstance(argument, ast.Call) and _call_name(argument) not in ("dedent", "format"):
            if name in ("execute", "exec_driver_sql"):
                executed.add(id(argument))
            return
        resolved = self._resolve(argument)
        if resolved is not None:
            text, pieces = resolved
            self.revision.sql.append(
                SqlString(
                    _without_parameters(node, name, text),
                    phase,
                    node,
                    in_autocommit,
                    pieces,
                    self.revision,
                    must_parse=name != "text" or id(node) in executed,
                )
            )

    def _resolve(self, node: ast.expr, depth: int = 0) -> tuple[str, list[_Piece]] | None:
        """The string an expression builds, with placeholders for what only runs at run time."""
        if depth > 10:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, [_Piece(0, node, True)]
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self._resolve(self.constants[node.id], depth + 1)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                else:
                    parts.append(PLACEHOLDER)
            return "".join(parts), [_Piece(0, node, False)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._resolve(node.left, depth + 1)
            right = self._resolve(node.right, depth + 1)
            if left is None or right is None:
                return None
            shift = len(left[0])
            moved = [_Piece(p.start + shift, p.node, p.exact) for p in right[1]]
            return left[0] + right[0], left[1] + moved
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self._resolve(node.left, depth + 1)
            if left is None:
                return None
            return _PERCENT_FORMAT.sub(PLACEHOLDER, left[0]), [_Piece(0, node, False)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format":
                inner = self._resolve(node.func.value, depth + 1)
                if inner is None:
                    return None
                return _BRACE_FORMAT.sub(PLACEHOLDER, inner[0]), [_Piece(0, node, False)]
        if isinstance(node, ast.Call) and _call_name(node) == "dedent" and node.args:
            inner = self._resolve(node.args[0], depth + 1)
            if inner is None:
                return None
            return textwrap.dedent(inner[0]), [_Piece(0, node.args[0], False)]
        return None
