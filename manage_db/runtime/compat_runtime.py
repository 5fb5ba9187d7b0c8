"""The private alembic API the runtime needs: the step lists alembic.command builds.

``alembic.command.upgrade``/``downgrade``/``stamp`` hand ``EnvironmentContext`` a function built on
``ScriptDirectory._upgrade_revs``/``_downgrade_revs``/``_stamp_revs``; the runtime does the same
(so it can keep one loaded ScriptDirectory), and these are the only private names it touches.
Same signatures on alembic 1.8.1 and 1.20.
"""

from __future__ import annotations

from typing import Any


def upgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` up to ``destination``, as ``alembic upgrade`` computes them."""
    return script._upgrade_revs(destination, current)


def downgrade_steps(script: Any, destination: str, current: Any) -> Any:
    """Steps from ``current`` down to ``destination``, as ``alembic downgrade`` computes them."""
    return script._downgrade_revs(destination, current)


def stamp_steps(script: Any, destinations: tuple[str, ...], current: Any) -> Any:
    """Version-table moves to ``destinations``, as ``alembic stamp`` computes them."""
    return script._stamp_revs(destinations, current)
