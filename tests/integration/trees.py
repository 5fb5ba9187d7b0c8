"""Small daemon-style alembic trees written into a test's tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

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
    for rev, down, up, downgrade in revisions:
        (location / "versions" / f"{rev}_step.py").write_text(
            f'"""step {rev}"""\n\nfrom alembic import op\n\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(up).strip(), '    ')}\n\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
        )
    return location
