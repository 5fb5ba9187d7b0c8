"""The baseline revision's text, in the platform's shape (Wazo's ``squashed baseline``).

It keeps the squashed head's id, has no ``down_revision``, runs the SQL dump beside it and
downgrades to nothing. Values each install generates are placeholders in the dump, replaced
here when it runs: a new UUID for each (the same wherever it appears), ``now()`` for a timestamp.
The dump goes through SQLAlchemy's ``text()`` (``op.execute``), where a colon starts a bind
parameter: every colon is escaped, so the text reaches the server as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from manage_db.squash.model import PerInstallValue

_TEMPLATE = '''"""{title}

{body}

Revision ID: {revision}
Revises:
Create Date: {created}

"""

import uuid
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = {revision!r}
down_revision = None
branch_labels = None
depends_on = None
# There is no history below a baseline: lint and verify take it as not downgradable.
irreversible = True

SQL_DUMP = {dump_path}
# Made beforehand by the superuser (init), never by this revision.
EXTENSIONS = {extensions!r}
# Placeholders in the dump for values the history generated at each install.
PER_INSTALL = {per_install}


def upgrade():
    sql = SQL_DUMP.read_text(encoding="utf-8")
    for placeholder, kind in PER_INSTALL.items():
        if kind == "uuid":
            sql = sql.replace(placeholder, str(uuid.uuid4()))
        else:
            sql = sql.replace(f"'{{placeholder}}'", "now()")
    op.execute(sql.replace(":", "\\\\:"))


def downgrade():
    pass
'''


def baseline_text(
    *,
    component: str,
    revision: str,
    release: str | None,
    squashed: int,
    dump_relative: str,
    extensions: Sequence[str],
    per_install: Sequence[PerInstallValue],
) -> str:
    """The baseline revision file for ``revision``, running the dump at ``dump_relative``
    (relative to the script location: ``sql/…`` or ``versions/…``)."""
    folder, name = dump_relative.split("/", 1)
    where = "parent" if folder == "versions" else f'parents[1] / "{folder}"'
    dump_path = f'Path(__file__).resolve().{where} / "{name}"'
    title = f"squashed baseline {release}" if release else f"squashed baseline at {revision}"
    needs = ", ".join(extensions) or "none"
    body = (
        f"The history of {component} up to {revision} ({squashed} revisions), run from the SQL\n"
        f"dump {dump_relative} as the owning role; written by `wazo-manage-db squash`.\n"
        f"Extensions it needs: {needs}. A database older than this baseline must first be\n"
        "upgraded with a release before it (squashed-revisions.txt lists the ids).\n"
        "The downgrade does nothing: there is no history below a baseline."
    )
    entries = "".join(f"\n    {v.placeholder!r}: {v.kind!r},  # {v.where}" for v in per_install)
    return _TEMPLATE.format(
        title=title,
        body=body,
        revision=revision,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        dump_path=dump_path,
        extensions=tuple(extensions),
        per_install="{" + entries + ("\n}" if entries else "}"),
    )
