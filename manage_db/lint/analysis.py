"""Turn one file into findings and facts: parse, build the ordered statement stream, run rules.

Imported only when some file is not in the cache (it loads pglast).

A Python revision's upgrade() stream comes from alembic's offline rendering (so ``op.*`` calls
are seen as the SQL they emit), with statements that came from a SQL string in the source
located at that string. When rendering fails, the stream is the source's SQL strings in order.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from manage_db.checksums import sql_text_checksum
from manage_db.lint import rules
from manage_db.lint.model import (
    Finding,
    RevisionFacts,
    Rule,
    Statement,
    StatementRule,
    UnitState,
)
from manage_db.lint.suppressions import Suppressions, python_suppressions, sql_suppressions
from manage_db.lint.unit_facts import FACT_STATEMENTS, provided_facts, record
from manage_db.sql.nodes import enum_name, node_name
from manage_db.sql.parse import SqlSyntaxError, blank_psql_script, iter_statements
from manage_db.sql.positions import Lines

if TYPE_CHECKING:
    # Only .sql files to check: neither the offline rendering nor the reading of Python
    # revisions (sql/pysource.py, sql/opcalls.py) is loaded; the functions that need them
    # import them.
    from manage_db.runtime.render import Rendering
    from manage_db.sql.pysource import OpCall, PythonRevision, SqlString

SYNTAX = rules.rule("MDB001")


@dataclass
class FileResult:
    """Everything lint keeps about one file (and caches, keyed by its content)."""

    facts: RevisionFacts
    findings: list[Finding] = field(default_factory=list)
    suppressions: Suppressions = field(default_factory=Suppressions)

    def emit(
        self, rule: Rule, line: int, col: int, message: str, anchors: Iterable[int] = ()
    ) -> None:
        """Record a finding; noqa comments are applied later, with the others (lint.policy)."""
        self.findings.append(
            Finding(
                self.facts.path,
                line,
                col,
                rule.code,
                rule.severity,
                str(message),
                rule.hint,
                tuple(dict.fromkeys((line, *anchors))),
                getattr(message, "settled_by", ()),
            )
        )


def statement_key(text: str) -> str:
    return " ".join(text.split()).rstrip(";").strip().lower()


# --- .sql files --------------------------------------------------------------------------------


def analyze_sql_file(path: str, text: str, keys: bool = True) -> tuple[FileResult, set[str]]:
    """Findings of a .sql file, and the keys of its statements (to recognise them elsewhere;
    with ``keys`` False, when no revision is analysed with it, an empty set)."""
    result = FileResult(RevisionFacts(path, "sql", sql_text_checksum(text)))
    result.suppressions = sql_suppressions(text)
    script = blank_psql_script(text)
    lines = Lines(script)
    statement_keys: set[str] = set()
    body_errors: list[SqlSyntaxError] = []
    try:
        parsed = list(iter_statements(script, body_errors))
    except SqlSyntaxError as error:
        line, col = lines.position(error.offset)
        result.emit(SYNTAX, line, col, f"SQL syntax error: {error}")
        return result, statement_keys
    for body_error in body_errors:
        line, col = lines.position(body_error.offset)
        result.emit(SYNTAX, line, col, f"SQL syntax error: {body_error}")
    if keys:
        statement_keys.update(statement_key(item.text) for item in parsed)
    statements = [
        Statement(item.node, "sql", functools.partial(lines.position, item.offset))
        for item in parsed
    ]
    run_statements(statements, UnitState(), result)
    return result, statement_keys


def _fixed(position: tuple[int, int]) -> Callable[[], tuple[int, int]]:
    return lambda: position


# --- Python revisions --------------------------------------------------------------------------


def read_python(path: str, source: str) -> PythonRevision | FileResult:
    """The parsed revision, or a result holding its syntax error."""
    from manage_db.sql.pysource import read_revision

    try:
        return read_revision(path, source)
    except SyntaxError as error:
        result = FileResult(RevisionFacts(path, "revision", ""))
        result.emit(
            SYNTAX, error.lineno or 1, error.offset or 1, f"Python syntax error: {error.msg}"
        )
        return result


def analyze_revision(
    revision: PythonRevision, rendering: Rendering | None, sql_file_keys: set[str]
) -> FileResult:
    """Run every file and statement rule on a parsed revision."""
    facts = RevisionFacts(
        path=revision.path,
        kind="revision",
        checksum="",  # filled in only when the tree has a release manifest (see service)
        revision=revision.revision,
        has_revision=revision.has_revision,
        down_revisions=revision.down_revisions,
        has_down_revision=revision.has_down_revision,
        revision_line=revision.revision_line,
        down_revision_line=revision.down_revision_line,
        branch_labelled=revision.branch_labelled,
    )
    result = FileResult(facts)
    result.suppressions = python_suppressions(revision.source, _first_code_line(revision.tree))
    for rule in rules.revision_rules():
        for line, col, message in rule.check(revision):
            result.emit(rule, line, col, message)
    parsed = {id(s): _parse_sql_string(s, result) for s in revision.sql}
    upgrade_strings = [s for s in revision.sql if s.phase == "upgrade"]
    used: set[int] = set()
    state = UnitState(in_transaction=True)
    facts.ops_seen = True
    if rendering is not None and rendering.error is None:
        stream = _rendered_stream(revision, rendering, upgrade_strings, parsed, used, sql_file_keys)
        run_statements(stream, state, result)
        # op.* calls that did not run offline (in a loop over rows a read did not find)
        facts.ops_seen = _check_calls_not_rendered(revision, rendering, state, result)
    elif rendering is not None and rendering.error is not None:
        facts.ops_seen = _read_op_calls(revision, rendering.error, parsed, used, state, result)
    # SQL strings the rendering did not consume, in source order; downgrade() runs as its own
    # unit, in its own transaction (autocommit blocks and COMMIT honoured as in upgrade()).
    states = {"upgrade": state, "downgrade": UnitState(in_transaction=True)}
    block = {"upgrade": False, "downgrade": False}
    for sql_string in revision.sql:
        if id(sql_string) in used:
            continue
        phase_state = states.get(sql_string.phase)
        if phase_state is None:
            run_statements(parsed[id(sql_string)], UnitState(in_transaction=True), result)
            continue
        block[sql_string.phase] = enter_step(
            phase_state, sql_string.in_autocommit_block, block[sql_string.phase]
        )
        run_statements(parsed[id(sql_string)], phase_state, result)
    facts.provides = provided_facts(state)
    return result


def enter_step(state: UnitState, in_autocommit_block: bool, after_block: bool) -> bool:
    """The transaction a step of a revision runs in; returns whether it is in an autocommit block.

    alembic commits when an ``autocommit_block()`` starts and begins a new transaction when it
    ends; between steps outside blocks the state goes on (a ``COMMIT`` leaves the next
    statements outside a transaction, as it does with alembic's connection).
    """
    if in_autocommit_block:
        state.in_transaction = False
    elif after_block:
        state.in_transaction = True
    return in_autocommit_block


def _read_op_calls(
    revision: PythonRevision,
    error: str,
    parsed: dict[int, list[Statement]],
    used: set[int],
    state: UnitState,
    result: FileResult,
) -> bool:
    """Check upgrade()'s op.* calls and SQL strings from the source, in source order.

    Returns whether every op.* call was understood; the others are MDB601 findings.
    """
    steps: list[tuple[tuple[int, int], bool, list[Statement]]] = []
    for sql_string in revision.sql:
        if sql_string.phase == "upgrade":
            used.add(id(sql_string))
            position = (sql_string.call.lineno, sql_string.call.col_offset)
            steps.append((position, sql_string.in_autocommit_block, parsed[id(sql_string)]))
    seen = True
    read_as_sql = {id(s.call) for s in revision.sql}  # op.execute of a string lint resolved
    for op_call in revision.op_calls:
        call = op_call.call
        statements: list[Statement] | None = (
            [] if id(call) in read_as_sql else _op_call_statements(revision, op_call)
        )
        if statements is None:
            seen = False
            _not_checked(
                revision, op_call, f"upgrade() cannot be rendered offline ({error})", result
            )
            continue
        steps.append((_step_position(revision, call), op_call.in_autocommit_block, statements))
    for call, module in _foreign_helper_calls(revision):
        seen = False
        line, col = call.lineno, revision._char_col(call.lineno, call.col_offset) + 1
        result.emit(
            rules.rule("MDB601"),
            line,
            col,
            f"{ast.unparse(call.func)}() not checked: upgrade() cannot be rendered offline "
            f"({error}) and what this function of {module} runs cannot be read from the source",
            range(line, (call.end_lineno or line) + 1),
        )
    steps.sort(key=lambda step: step[0])
    after_block = False
    for _, in_autocommit, step in steps:
        after_block = enter_step(state, in_autocommit, after_block)
        run_statements(step, state, result)
    return seen


def _foreign_helper_calls(revision: PythonRevision) -> Iterator[tuple[ast.Call, str]]:
    """Calls made as statements in upgrade() to functions imported from a module other than
    alembic, SQLAlchemy or the standard library: the work they do is out of lint's sight."""
    if revision.upgrade is None:
        return
    imported = _imported_names(revision.tree)
    for node in ast.walk(revision.upgrade):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            root = node.value.func
            while isinstance(root, ast.Attribute):
                root = root.value
            module = imported.get(root.id) if isinstance(root, ast.Name) else None
            if module is not None:
                yield node.value, module


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Names the module imports at its top, from modules lint cannot see into, and whence."""
    seen_through = {"alembic", "sqlalchemy", "sqlmodel", "__future__", *sys.stdlib_module_names}
    names: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(statement, ast.ImportFrom):
            module = "." * statement.level + (statement.module or "")
            for alias in statement.names:
                names[alias.asname or alias.name] = module
    return {n: m for n, m in names.items() if m.split(".")[0] not in seen_through}


def _check_calls_not_rendered(
    revision: PythonRevision, rendering: Rendering, state: UnitState, result: FileResult
) -> bool:
    """Check, from the source, the op.* calls that emitted nothing offline.

    Returns whether each was understood; the others are MDB601 findings, never counted as seen.
    """
    rendered_lines = {chunk.line for chunk in rendering.chunks}
    seen = True
    for op_call in revision.op_calls:
        call = op_call.call
        if rendered_lines.intersection(range(call.lineno, (call.end_lineno or call.lineno) + 1)):
            continue
        statements = _op_call_statements(revision, op_call)
        if statements is None:
            seen = False
            _not_checked(revision, op_call, "it emitted nothing offline", result)
            continue
        state.in_transaction = not op_call.in_autocommit_block
        run_statements(statements, state, result)
    return seen


def _not_checked(revision: PythonRevision, op_call: OpCall, why: str, result: FileResult) -> None:
    call = op_call.call
    line, col = call.lineno, revision._char_col(call.lineno, call.col_offset) + 1
    result.emit(
        rules.rule("MDB601"),
        line,
        col,
        f"op.{op_call.method}() not checked: {why} and the call cannot be read from the source",
        range(line, (call.end_lineno or line) + 1),
    )


def _op_call_statements(revision: PythonRevision, op_call: OpCall) -> list[Statement] | None:
    """The statements an op.* call stands for, read from the source; None when unknown."""
    call = op_call.call
    from manage_db.sql.opcalls import sql_of

    texts = sql_of(op_call, revision.constants, revision.string_names)
    if texts is None:
        return None
    line, col = call.lineno, revision._char_col(call.lineno, call.col_offset) + 1
    anchors = range(line, (call.end_lineno or line) + 1)
    statements: list[Statement] = []
    for text in texts:
        try:
            items = list(iter_statements(text))
        except SqlSyntaxError:
            continue  # a name or default we could only guess: nothing to check
        statements.extend(
            Statement(item.node, "upgrade", _fixed((line, col)), anchors) for item in items
        )
    return statements


def _step_position(revision: PythonRevision, call: ast.Call) -> tuple[int, int]:
    """Where a call runs in upgrade(): calls in helpers count as run at upgrade()'s end."""
    upgrade = revision.upgrade
    if upgrade is not None and not upgrade.lineno <= call.lineno <= (upgrade.end_lineno or 0):
        return (upgrade.end_lineno or 0, call.col_offset)
    return (call.lineno, call.col_offset)


def _first_code_line(tree: ast.Module) -> int:
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        return statement.lineno
    return 10**9


def _parse_sql_string(sql_string: SqlString, result: FileResult) -> list[Statement]:
    call = sql_string.call
    anchors = range(call.lineno, (call.end_lineno or call.lineno) + 1)
    from manage_db.sql.pysource import PLACEHOLDER, PLACEHOLDER_VALUES

    texts = [sql_string.text]
    if PLACEHOLDER in sql_string.text:
        texts = [sql_string.text.replace(PLACEHOLDER, value) for value in PLACEHOLDER_VALUES]
    parsed = None
    error = None
    for text in texts:
        try:
            parsed = list(iter_statements(text))
            break
        except SqlSyntaxError as caught:
            error = error or caught
    if parsed is None:
        # With run-time values, or text() that may be an expression, say nothing.
        if error is not None and len(texts) == 1 and sql_string.must_parse:
            line, col = sql_string.position(error.offset)
            result.emit(SYNTAX, line, col, f"SQL syntax error: {error}", anchors)
        return []
    return [
        Statement(
            item.node,
            sql_string.phase,
            functools.partial(sql_string.position, item.offset),
            anchors,
        )
        for item in parsed
    ]


def _rendered_stream(
    revision: PythonRevision,
    rendering: Rendering,
    upgrade_strings: list[SqlString],
    parsed: dict[int, list[Statement]],
    used: set[int],
    sql_file_keys: set[str],
) -> list[Statement]:
    matchers = [(_matcher(s.text), s) for s in upgrade_strings]
    stream: list[Statement] = []
    for chunk in rendering.chunks:
        key = statement_key(chunk.text)
        source = next((s for m, s in matchers if id(s) not in used and m(key)), None)
        if source is not None:
            used.add(id(source))
            stream.extend(parsed[id(source)])
            continue
        try:
            items = list(iter_statements(chunk.text))
        except SqlSyntaxError:
            continue  # rendered from run-time values we cannot see; not the author's syntax
        position = (chunk.line or 1, _indent(revision, chunk.line) + 1)
        for item in items:
            quiet = statement_key(item.text) in sql_file_keys
            stream.append(
                Statement(
                    item.node, "upgrade", _fixed(position), range(chunk.line, chunk.line + 1), quiet
                )
            )
    return stream


def _matcher(text: str) -> Callable[[str], bool]:
    """Does a rendered chunk come from this SQL string (run-time values matching anything)?"""
    from manage_db.sql.pysource import PLACEHOLDER

    key = statement_key(text)
    if PLACEHOLDER not in key:
        return key.__eq__
    pattern = re.compile(".+?".join(re.escape(part) for part in key.split(PLACEHOLDER)), re.DOTALL)
    return lambda chunk_key: pattern.fullmatch(chunk_key) is not None


def _indent(revision: PythonRevision, line: int) -> int:
    text = revision.lines[line - 1] if 0 < line <= len(revision.lines) else ""
    return len(text) - len(text.lstrip())


# --- the statement walk ------------------------------------------------------------------------


def run_statements(statements: Iterable[Statement], state: UnitState, result: FileResult) -> None:
    """Run the statement rules over a stream, keeping track of what each statement changed."""
    for statement in statements:
        kind = node_name(statement.node)
        if not statement.quiet:
            for rule in _rules_for(kind, statement.phase):
                for message in rule.check(statement, state):
                    line, col = statement.locate()
                    result.emit(rule, line, col, message, statement.anchor_lines)
        if kind in _STATE_CHANGES:
            advance(state, statement.node)


@functools.cache
def _rules_for(kind: str, phase: str) -> tuple[StatementRule, ...]:
    """The statement rules that look at ``kind`` statements in ``phase``, in registry order."""
    return tuple(
        rule for rule in rules.statement_rules() if kind in rule.node_types and phase in rule.phases
    )


# The statements :func:`advance` learns from.
_STATE_CHANGES = frozenset(
    {
        "CreateStmt",
        "CreateTableAsStmt",
        "SelectStmt",
        "TransactionStmt",
        "VariableSetStmt",
        "RenameStmt",
        "DropStmt",
    }
    | FACT_STATEMENTS
)


def advance(state: UnitState, node: Any) -> None:
    """Update what is known after ``node`` ran: new tables, transaction, lock_timeout."""
    kind = node_name(node)
    if kind == "CreateStmt":
        state.fresh_tables.add(node.relation.relname)
    elif kind == "CreateTableAsStmt":
        state.fresh_tables.add(node.into.rel.relname)
    elif kind == "SelectStmt":
        if node.intoClause is not None:
            state.fresh_tables.add(node.intoClause.rel.relname)
        if _sets_lock_timeout(node):
            state.lock_timeout_set = True
    elif kind == "TransactionStmt":
        transaction = enum_name(node.kind)
        if transaction in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            state.in_transaction = True
        elif transaction in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            state.in_transaction = False
    elif kind == "VariableSetStmt" and node.name == "lock_timeout":
        value = getattr(node.args[0], "val", None) if node.args else None
        disabled = getattr(value, "ival", None) == 0 or getattr(value, "sval", None) in ("0",)
        state.lock_timeout_set = enum_name(node.kind) == "VAR_SET_VALUE" and not disabled
    elif kind == "RenameStmt" and node.relation is not None:
        if (
            enum_name(node.renameType) == "OBJECT_TABLE"
            and node.relation.relname in state.fresh_tables
        ):
            state.fresh_tables.add(node.newname)
    elif kind == "DropStmt" and enum_name(node.removeType) == "OBJECT_TABLE":
        for names in node.objects or ():
            state.fresh_tables.discard(names[-1].sval)
    elif kind in FACT_STATEMENTS:
        record(state, node)


def _sets_lock_timeout(node: Any) -> bool:
    for target in node.targetList or ():
        value: Any = getattr(target, "val", None)
        if node_name(value) == "FuncCall" and value.funcname[-1].sval == "set_config":
            first = value.args[0] if value.args else None
            if getattr(getattr(first, "val", None), "sval", None) == "lock_timeout":
                return True
    return False
