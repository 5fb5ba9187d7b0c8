"""Small daemon-style alembic trees written into a test's tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

from pgtest import write_revision

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "daemons"
# The daemons' installed packages the fixture trees import (their config loaders, models, helpers).
DAEMON_PACKAGES = FIXTURES / "site"


def make_tree(
    root: Path,
    revisions: list[tuple[str, str | None, str, str]],
    version_table: str = "alembic_version",
) -> Path:
    """A stock-style tree (dird's env.py and alembic.ini) whose revisions are (id, down_revision,
    upgrade body, downgrade body)."""
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    env = (FIXTURES / "dird" / "alembic" / "env.py").read_text()
    (location / "env.py").write_text(env.replace("alembic_version_dird", version_table))
    shutil.copy(FIXTURES / "dird" / "alembic" / "script.py.mako", location)
    shutil.copy(FIXTURES / "dird" / "alembic.ini", root)
    for revision in revisions:
        write_revision(location, *revision)
    return location
