"""syntax-error: Python or SQL (or PL/pgSQL) that does not parse.

Why: alembic (or psql) will fail on it at upgrade time, on a customer's machine. Lint reports it
at the place the parser stopped instead of crashing, and checks the rest of the tree.
Instead: fix the syntax; check the SQL with ``psql`` and the Python with
``python -m py_compile``.
No check of its own: the parsers report these, before any rule runs.
"""

from manage_db.lint.model import ERROR, EngineRule

RULE = EngineRule(
    code="MDB001",
    name="syntax-error",
    severity=ERROR,
    hint="fix the syntax at this position",
)
