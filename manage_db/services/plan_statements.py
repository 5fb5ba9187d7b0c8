"""The SQL statements each pending revision would run, parsed, for the plan.

The one place the plan asks for statements, so another renderer can be plugged in here: today
it is lint's in-process offline rendering (each revision's ``upgrade()`` run against an alembic
context in ``--sql`` mode) and, where a revision cannot be rendered offline (it calls
``op.get_bind()``, reads rows...), the SQL strings lint finds in the revision's syntax tree.
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
        from manage_db.lint.offline import render_upgrades
        from manage_db.lint.pysource import PLACEHOLDER, read_revision
        from manage_db.lint.sqltext import SqlSyntaxError, iter_statements
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
    renderings = render_upgrades([p for p in parsed if not isinstance(p, str)])

    def parse(text: str, into: RevisionStatements) -> None:
        try:
            items = list(iter_statements(text))
        except SqlSyntaxError:
            return  # run-time values we cannot see
        for item in items:
            into.nodes.append(item.node)
            into.texts.append(" ".join(item.text.split()))

    results = []
    for revision in parsed:
        result = RevisionStatements()
        results.append(result)
        if isinstance(revision, str):
            result.source, result.note = "none", revision
            continue
        rendering = renderings.get(revision.path)
        if rendering is not None and rendering.error is None:
            for chunk in rendering.chunks:
                parse(chunk.text, result)
            continue
        result.source = "source"
        if rendering is not None:
            result.note = f"upgrade() cannot be rendered offline ({rendering.error})"
        for sql_string in revision.sql:
            if sql_string.phase == "upgrade" and PLACEHOLDER not in sql_string.text:
                parse(sql_string.text, result)
    return results
