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


@dataclass
class RevisionStatements:
    """The parsed statements of one revision's upgrade, and how they were found."""

    nodes: list[Any] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    source: str = "rendered"  # rendered, source (SQL strings of the file), none
    note: str | None = None  # why rendering was impossible, or a file that could not be read


def revision_statements(paths: Sequence[Path]) -> list[RevisionStatements]:
    """For each revision file, in the order given, the statements its upgrade() runs."""
    try:
        from pglast import parse_sql
        from pglast.parser import ParseError
        from pglast.stream import RawStream

        from manage_db.lint.opcalls import sql_of
        from manage_db.lint.pysource import PLACEHOLDER, read_revision
        from manage_db.runtime.render import render_upgrades
    except ImportError as error:
        from manage_db.errors import ConfigError

        raise ConfigError(
            f"plan needs pglast to read the statements ({error}): apt install python3-pglast "
            "or pip install pglast"
        ) from error

    parsed: list[Any] = []
    for path in paths:
        try:
            parsed.append(read_revision(str(path), path.read_text(encoding="utf-8")))
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            parsed.append(f"{path.name}: cannot read: {error}")
    renderings = render_upgrades(
        [(p.path, p.tree) for p in parsed if not isinstance(p, str) and p.upgrade]
    )

    def parse(text: str, into: RevisionStatements) -> None:
        # pglast's Python AST, not lint's lazy JSON nodes: the plan deparses sub-expressions.
        try:
            raw_statements = parse_sql(text)
        except ParseError:
            return  # run-time values we cannot see
        for raw in raw_statements:
            if raw.stmt is None:
                continue
            into.nodes.append(raw.stmt)
            into.texts.append(" ".join(RawStream()(raw.stmt).split()))

    results = []
    for revision in parsed:
        result = RevisionStatements()
        results.append(result)
        if isinstance(revision, str):
            result.source, result.note = "none", revision
            continue
        rendering = renderings.get(revision.path)
        emitted: set[int] = set()
        if rendering is not None and rendering.error is None:
            for chunk in rendering.chunks:
                parse(chunk.text, result)
            emitted = {chunk.line for chunk in rendering.chunks}
        elif rendering is not None:
            result.note = f"upgrade() cannot be rendered offline ({rendering.error})"

        from_source = len(result.nodes)
        for sql_string in revision.sql:
            if sql_string.phase == "upgrade" and PLACEHOLDER not in sql_string.text:
                if _silent(sql_string.call, emitted):
                    parse(sql_string.text, result)
        for op_call in revision.op_calls:
            if _silent(op_call.call, emitted):
                for text in sql_of(op_call, revision.constants, revision.string_names) or ():
                    parse(text, result)
        if len(result.nodes) > from_source:
            result.source = "source"
            result.note = result.note or (
                "some calls emitted nothing offline (reads find no rows there): "
                "their statements are read from the source"
            )
    return results


def _silent(call: Any, emitted: set[int]) -> bool:
    """Not rendered, or emitted nothing offline (a read found no rows): read from the source."""
    return not emitted.intersection(range(call.lineno, (call.end_lineno or call.lineno) + 1))
