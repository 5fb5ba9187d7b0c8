"""The migration session's settings travel in the connection URI (libpq options)."""

from __future__ import annotations

from manage_db.dao.connection import parse_uri
from manage_db.runtime.session import migration_uri, session_uri


def test_schema_component_sees_its_own_schema_only():
    uri = session_uri("postgresql://chatd@db.example:5432/asterisk", "chatd")
    assert parse_uri(uri)["options"] == '-c search_path="chatd"'


def test_unconfined_component_keeps_its_uri():
    assert session_uri("postgresql://auth@localhost/auth", None) == (
        "postgresql://auth@localhost/auth"
    )


def test_settings_join_options_already_in_the_uri_and_survive_spaces():
    given = "postgresql://o@localhost/d?options=-c%20statement_timeout%3D0"
    uri = migration_uri(session_uri(given, "my schema"))
    assert parse_uri(uri)["options"] == (
        '-c statement_timeout=0 -c search_path="my\\ schema" -c synchronous_commit=off'
    )
