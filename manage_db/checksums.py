"""Checksums of revision files: lint's release manifest and the applied history use the same.

No pglast, no alembic: ``status`` checks them on every run, on machines without pglast.
"""

from __future__ import annotations

import ast
import hashlib


def sql_text_checksum(text: str) -> str:
    """Checksum of a SQL file's text (line endings normalised)."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def python_checksum(source: str) -> str:
    """Checksum of the syntax tree: comments and formatting changes do not alter a revision.

    A file that does not parse gets the checksum of its text.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return sql_text_checksum(source)
    return hashlib.sha256(ast.dump(tree).encode("utf-8")).hexdigest()
