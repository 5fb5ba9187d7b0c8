"""What verify walks: the target of a bare tree and of a configured component."""

from __future__ import annotations

from pathlib import Path

from manage_db.models import Component
from manage_db.services.verify_targets import component_target, tree_target


def test_a_bare_tree_is_named_after_its_directory_and_has_no_owner(tmp_path):
    tree = tmp_path / "chatd_tree"
    tree.mkdir()
    target = tree_target(tree, "chatd_alembic_version", ["uuid-ossp"])
    assert target.name == "chatd_tree"
    assert target.version_table == "chatd_alembic_version"
    assert target.extensions == ("uuid-ossp",)
    assert target.owner is None and target.owner_password is None


def test_a_component_is_verified_as_its_owner_with_the_password_of_its_owner_uri():
    component = Component(
        name="auth",
        script_location=Path("/srv/auth/alembic"),
        database="asterisk",
        owner="wazo-auth",
        version_table="alembic_version_auth",
        schema="auth",
        extensions=("pgcrypto",),
    )
    target = component_target(component, "postgresql://wazo-auth:s3cret@db.example/asterisk")
    assert (target.name, target.owner, target.owner_password) == ("auth", "wazo-auth", "s3cret")
    assert (target.schema, target.version_table) == ("auth", "alembic_version_auth")
    assert target.extensions == ("pgcrypto",)


def test_a_component_without_a_password_is_verified_with_none():
    component = Component(
        "asterisk", Path("/usr/share/wazo-manage-db/alembic"), "asterisk", "asterisk"
    )
    target = component_target(component, "postgresql://asterisk@localhost/asterisk")
    assert target.owner_password is None
