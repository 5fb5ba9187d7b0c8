"""New revision files, from the tree's own template; no database needed."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

from manage_db.dao.revision_files import load_graph
from manage_db.errors import ConfigError, TreeError
from manage_db.models import Component
from manage_db.runtime.adapter import MigrationTree

_BUMP_BODY = """
# The platform's version, recorded in infos at each release.
wazo_version = {version!r}
previous_wazo_version = {previous!r}


def upgrade():
    op.execute(
        sa.text("UPDATE infos SET wazo_version = :version").bindparams(version=wazo_version)
    )


def downgrade():
    op.execute(
        sa.text("UPDATE infos SET wazo_version = :version").bindparams(
            version=previous_wazo_version
        )
    )
"""


def create_revision(
    component: Component,
    message: str,
    *,
    rev_id: str | None = None,
    wazo_version: str | None = None,
    previous_version: str | None = None,
) -> Path:
    """Write a new revision on top of the tree's head; return its path.

    With ``wazo_version``, the revision is the release's version bump: it sets
    ``infos.wazo_version`` and its downgrade restores the previous release's value, found in the
    latest earlier bump revision unless ``previous_version`` is given.
    """
    graph = load_graph(component.script_location)
    if len(graph.heads()) > 1:
        raise TreeError(
            f"{component.script_location}: several heads ({', '.join(graph.heads())}); "
            "merge them first"
        )
    if wazo_version is not None and previous_version is None:
        previous_version = _latest_wazo_version(graph)
        if previous_version is None:
            raise ConfigError(
                "no earlier version-bump revision found; give the previous version with "
                "--from-version"
            )
    tree = MigrationTree.load(component, None)
    # Older alembic prints "Generating … done" itself; the command prints the path once.
    with contextlib.redirect_stdout(io.StringIO()):
        path = tree.create_revision(message, rev_id)
    if wazo_version is not None:
        _write_bump(path, wazo_version, previous_version or "")
    return path


def _latest_wazo_version(graph) -> str | None:
    """The ``wazo_version`` constant of the newest revision that declares one."""
    for rev in reversed(graph.history()):
        tree = ast.parse(rev.path.read_text(encoding="utf-8"))
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "wazo_version"
                and isinstance(node.value, ast.Constant)
            ):
                return str(node.value.value)
    return None


def _write_bump(path: Path, version: str, previous: str) -> None:
    """Replace the template's empty upgrade/downgrade with the version bump."""
    text = path.read_text(encoding="utf-8")
    head, marker, _ = text.partition("\ndef upgrade")
    if not marker:
        raise TreeError(f"{path}: the template wrote no upgrade() to fill in")
    path.write_text(
        head.rstrip() + "\n\n" + _BUMP_BODY.format(version=version, previous=previous),
        encoding="utf-8",
    )
