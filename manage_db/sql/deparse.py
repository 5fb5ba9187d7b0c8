"""pglast's Python syntax tree, for those who read sub-expressions or print statements back.

lint reads statements through ``parse`` (its lazy nodes); the plan deparses parts of a statement
(a check's expression, a column's type) and squash rewrites and prints whole statements: both
need pglast's Python objects, built here. pglast is the optional ``lint`` extra: a command that
cannot do without it says how to install it.
"""

from __future__ import annotations

from typing import Any

from manage_db.errors import ConfigError


class PythonStatements:
    """PostgreSQL's parser giving pglast's Python nodes (ConfigError naming how to install it)."""

    def __init__(self, who: str) -> None:
        try:
            from pglast import parse_sql
            from pglast.parser import ParseError
        except ImportError as error:
            raise ConfigError(
                f"{who} needs pglast to read the statements ({error}): apt install python3-pglast "
                "or pip install pglast"
            ) from error
        self._parse_sql = parse_sql
        self._parse_error = ParseError

    def statements(self, text: str) -> list[tuple[Any, str]]:
        """``(node, one-line SQL)`` of each statement of ``text``; none when it does not parse."""
        try:
            raw_statements = self._parse_sql(text)
        except self._parse_error:
            return []  # run-time values we cannot see
        return [
            (raw.stmt, " ".join(deparse(raw.stmt).split()))
            for raw in raw_statements
            if raw.stmt is not None
        ]


def deparse(node: Any) -> str:
    """SQL text of a node, as PostgreSQL's grammar prints it."""
    from pglast.stream import RawStream

    return str(RawStream()(node))
