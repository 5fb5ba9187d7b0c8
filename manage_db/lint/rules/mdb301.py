"""missing-downgrade: no `downgrade()` or only `pass`; fine with `irreversible = True` or a
downgrade that raises. Severity: `lint.downgrade_severity`.

Why: ``wazo-manage-db verify`` and operators rolling back a release need ``downgrade()``; the
template's ``pass`` silently does nothing.
Instead: write the downgrade that restores the previous schema, or declare the revision
irreversible with ``irreversible = True`` at module level (or a downgrade that raises).
Its severity is ``lint.downgrade_severity`` in the configuration (default: warning).
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, RevisionRule
from manage_db.sql.pysource import PythonRevision, downgrade_state


def check(revision: PythonRevision) -> Iterator[tuple[int, int, str]]:
    if revision.irreversible:
        return
    state = downgrade_state(revision)
    if state == "missing":
        yield revision.revision_line, 1, "no downgrade() in this revision"
    elif state == "empty" and revision.downgrade is not None:
        yield revision.downgrade.lineno, 1, "downgrade() does nothing (only pass)"


RULE = RevisionRule(
    code="MDB301",
    name="missing-downgrade",
    severity=WARNING,
    hint="write downgrade(), or declare `irreversible = True` at module level",
    check=check,
)
