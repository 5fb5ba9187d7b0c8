"""offline-unsafe: the revision needs a live connection (``op.get_bind()``, inspection).

Why: ``alembic upgrade --sql`` (offline mode) cannot run it, and what it does depends on the
database it meets, so lint and reviewers cannot see its SQL. Info only.
Instead: write the SQL out (``op.execute``) instead of inspecting, where possible.
"""

from collections.abc import Iterator

from manage_db.lint.model import INFO, Rule
from manage_db.lint.pysource import PythonRevision

RULE = Rule(
    code="MDB601",
    name="offline-unsafe",
    severity=INFO,
    reason="offline mode (alembic --sql) has no connection to bind or inspect",
    hint="prefer op.execute() of explicit SQL over reading the database",
)


def check_revision(revision: PythonRevision) -> Iterator[tuple[int, int, str]]:
    for line, col, call in revision.offline_unsafe:
        yield line, col, f"{call}() needs a live connection: the revision cannot run offline"
