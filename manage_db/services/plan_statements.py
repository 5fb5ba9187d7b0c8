"""The SQL statements each pending revision would run, parsed, for the plan.

The one place the plan asks for statements: the runtime's in-process offline rendering (each
revision's ``upgrade()`` run against an alembic context in ``--sql`` mode, reads answered with no
rows) and, where a revision still cannot be rendered offline, what lint reads from the
revision's syntax tree: its SQL strings and the SQL its ``op.*`` calls stand for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manage_db.runtime.render import Rendering, render_upgrades
from manage_db.sql.deparse import PythonStatements
from manage_db.sql.opcalls import sql_of
from manage_db.sql.pysource import PLACEHOLDER, PythonRevision, read_revision


@dataclass
class RevisionStatements:
    """The parsed statements of one revision's upgrade, and how they were found."""

    nodes: list[Any] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    source: str = "rendered"  # rendered, source (SQL strings of the file), none
    note: str | None = None  # why rendering was impossible, or a file that could not be read


def revision_statements(paths: Sequence[Path]) -> list[RevisionStatements]:
    """For each revision file, in the order given, the statements its upgrade() runs."""
    parser = _StatementParser()
    revisions = [_read(path) for path in paths]
    renderings = render_upgrades(
        [(r.path, r.tree) for r in revisions if not isinstance(r, str) and r.upgrade]
    )
    return [_statements_of(revision, renderings, parser) for revision in revisions]


class _StatementParser:
    """The plan's statements, as pglast's Python nodes (the plan deparses sub-expressions)."""

    def __init__(self) -> None:
        self._statements = PythonStatements("plan")

    def parse_into(self, text: str, into: RevisionStatements) -> None:
        """Add the statements of ``text`` to ``into``; nothing when it does not parse."""
        for node, one_line in self._statements.statements(text):
            into.nodes.append(node)
            into.texts.append(one_line)


def _read(path: Path) -> PythonRevision | str:
    """The revision file's syntax facts, or why it cannot be read."""
    try:
        return read_revision(str(path), path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        return f"{path.name}: cannot read: {error}"


def _statements_of(
    revision: PythonRevision | str, renderings: dict[str, Rendering], parser: _StatementParser
) -> RevisionStatements:
    """What the offline rendering emitted, completed from the source where it emitted nothing."""
    result = RevisionStatements()
    if isinstance(revision, str):
        result.source, result.note = "none", revision
        return result
    rendering = renderings.get(revision.path)
    emitted: set[int] = set()
    if rendering is not None and rendering.error is None:
        for chunk in rendering.chunks:
            parser.parse_into(chunk.text, result)
        emitted = {chunk.line for chunk in rendering.chunks}
    elif rendering is not None:
        result.note = f"upgrade() cannot be rendered offline ({rendering.error})"
    from_source = len(result.nodes)
    _read_silent_calls(revision, emitted, parser, result)
    if len(result.nodes) > from_source:
        result.source = "source"
        result.note = result.note or (
            "some calls emitted nothing offline (reads find no rows there): "
            "their statements are read from the source"
        )
    return result


def _read_silent_calls(
    revision: PythonRevision,
    emitted: set[int],
    parser: _StatementParser,
    result: RevisionStatements,
) -> None:
    """The SQL strings and ``op.*`` calls of upgrade() that the rendering did not emit."""
    for sql_string in revision.sql:
        if sql_string.phase == "upgrade" and PLACEHOLDER not in sql_string.text:
            if _silent(sql_string.call, emitted):
                parser.parse_into(sql_string.text, result)
    for op_call in revision.op_calls:
        if _silent(op_call.call, emitted):
            for text in sql_of(op_call, revision.constants, revision.string_names) or ():
                parser.parse_into(text, result)


def _silent(call: Any, emitted: set[int]) -> bool:
    """Not rendered, or emitted nothing offline (a read found no rows): read from the source."""
    return not emitted.intersection(range(call.lineno, (call.end_lineno or call.lineno) + 1))
