"""The baseline's SQL dump, assembled: pg_dump's schema sections around the history's rows.

Rows go in after the tables and before the constraints, indexes and triggers (pg_dump's
post-data section), as pg_dump orders a full dump: no trigger fires and no foreign key is
checked while they load. A per-install value is written as its placeholder; the baseline
revision puts a value generated anew in its place when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from manage_db.squash.model import TableRows

_ROWS_PER_INSERT = 500


def quote_literal(value: str | None) -> str:
    """A SQL literal (standard_conforming_strings on, as PostgreSQL has it by default)."""
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """An identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def insert_statements(table: TableRows) -> Iterable[str]:
    """The INSERTs that put ``table``'s rows back, in their order, a few hundred a statement."""
    columns = ", ".join(quote_ident(c) for c in table.columns)
    overriding = " OVERRIDING SYSTEM VALUE" if table.identity_always else ""
    for start in range(0, len(table.rows), _ROWS_PER_INSERT):
        chunk = table.rows[start : start + _ROWS_PER_INSERT]
        values = ",\n    ".join(
            "(" + ", ".join(quote_literal(v) for v in row) + ")" for row in chunk
        )
        yield f"INSERT INTO {table.name} ({columns}){overriding} VALUES\n    {values};"


def setval_statement(sequence: str, value: int, called: bool) -> str:
    """The statement that puts a sequence back where the history left it."""
    flag = "true" if called else "false"
    return f"SELECT pg_catalog.setval({quote_literal(sequence)}, {value}, {flag});"


def assemble(
    header: Sequence[str],
    pre_data: Sequence[str],
    tables: Mapping[str, TableRows],
    sequences: Mapping[str, tuple[int, bool]],
    post_data: Sequence[str],
) -> str:
    """The dump's text: Unix line endings, statements separated by a blank line."""
    parts = [*pre_data]
    for name in sorted(tables):
        parts.extend(insert_statements(tables[name]))
    for name in sorted(sequences):
        parts.append(setval_statement(name, *sequences[name]))
    parts.extend(post_data)
    text = "\n".join(f"-- {line}".rstrip() for line in header) + "\n\n"
    text += "SET LOCAL check_function_bodies = false;\n\n"
    text += "\n\n".join(part.strip() for part in parts) + "\n"
    return text.replace("\r\n", "\n")
