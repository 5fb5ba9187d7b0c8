"""offline-unsafe: an `op.*` call lint could neither render offline nor read from the source.

Why: lint checks what ``op.*`` calls do by rendering upgrade() in alembic's offline mode (reads
through ``op.get_bind()`` find no rows there), and reads the calls from the Python source when
that fails (a module not installed, a value only the database knows). A call that is neither
rendered nor understood (an unknown operation, SQL built at run time) is not checked. Info only.
Instead: write the SQL out (``op.execute`` of a literal) rather than computing it from the
database, where possible.
The engine emits these findings itself (where rendering and reading both failed).
"""

from manage_db.lint.model import INFO, EngineRule

RULE = EngineRule(
    code="MDB601",
    name="offline-unsafe",
    severity=INFO,
    hint="prefer op.execute() of explicit SQL over reading the database",
)
