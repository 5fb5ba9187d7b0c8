"""Per-step listeners: who is told, inside each revision's transaction, what the runtime does.

The runtime runs one revision per transaction and calls every listener it was given:

- ``step_started(revision, direction, connection)`` inside the step's transaction, just before the
  revision's ``upgrade()``/``downgrade()`` runs (not called for a stamp, which runs nothing);
- ``step_applied(revision, direction, connection)`` inside the same transaction, after alembic
  updated the version table: what a listener writes there commits or rolls back with the revision;
- ``step_failed(revision, direction, error)`` after the failing step's transaction was rolled back
  (its connection is gone; write what must survive through another connection).

``direction`` is ``"upgrade"``, ``"downgrade"``, ``"stamp"`` or ``"unstamp"`` (a stamp downward
removing the revision from the version table); ``revision`` is the revision applied, reverted or
stamped (a stamp of several revisions tells each). ``connection`` is the migration's own
psycopg2 connection (the DBAPI connection under alembic's SQLAlchemy one), so dao functions taking
a psycopg2 connection work on it unchanged.
Listeners are never called in offline (``--sql``) mode.

A listener may also have ``version_write_sql(revision, direction, cursor)``: called once per
statement by which alembic writes the version table during a step (not a stamp), it returns SQL
already rendered for ``cursor`` (or None) that the runtime sends in the same round trip, just before
that write: what a listener records per step then costs no round trip of its own.
"""

from __future__ import annotations

from typing import Any, Protocol

UPGRADE = "upgrade"
DOWNGRADE = "downgrade"
STAMP = "stamp"
UNSTAMP = "unstamp"


class StepListener(Protocol):
    """What the runtime calls around each revision it applies, reverts or stamps."""

    def step_started(self, revision: str, direction: str, connection: Any) -> None:
        """The revision's migration function is about to run in ``connection``'s transaction."""

    def step_applied(self, revision: str, direction: str, connection: Any) -> None:
        """The revision ran and the version table moved; the transaction is still open."""

    def step_failed(self, revision: str, direction: str, error: BaseException) -> None:
        """The revision raised; its transaction was rolled back."""


class VersionWriteListener(StepListener, Protocol):
    """A listener that sends its per-step row with alembic's version-table write."""

    def version_write_sql(self, revision: str, direction: str, cursor: Any) -> str | None:
        """SQL rendered for ``cursor`` to run just before the version write, once; else None."""
