"""What verify walks: a tree named on the command line, or a configured component's tree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from manage_db.dao.connection import parse_uri
from manage_db.models import Component
from manage_db.services.verify import VerifyTarget
from manage_db.services.verify_walk import WalkPolicy


def tree_target(
    script_location: Path,
    version_table: str,
    extensions: Sequence[str] = (),
    walk: WalkPolicy | None = None,
) -> VerifyTarget:
    """A bare tree, named after its directory; its owner is a throwaway role; ``walk``: the
    global ``verify.*`` walk settings."""
    return VerifyTarget(
        name=script_location.resolve().name,
        script_location=script_location,
        version_table=version_table,
        extensions=tuple(extensions),
        walk=walk or WalkPolicy(),
    )


def component_target(
    component: Component, owner_uri: str, walk: WalkPolicy | None = None
) -> VerifyTarget:
    """A component's tree, verified as its owner when that role exists on the server, with the
    password ``owner_uri`` carries (the configured one, or the one in the component's own URI);
    ``walk``: the component's ``verify.*`` walk settings."""
    return VerifyTarget(
        name=component.name,
        script_location=Path(component.script_location),
        version_table=component.version_table,
        schema=component.schema,
        extensions=tuple(component.extensions),
        owner=component.owner,
        owner_password=parse_uri(owner_uri).get("password"),
        walk=walk or WalkPolicy(),
    )
