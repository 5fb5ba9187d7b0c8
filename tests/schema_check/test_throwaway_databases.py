"""Throwaway databases made at once (check-models' two): each as ``new_database`` makes it."""

from __future__ import annotations

from manage_db.dao.throwaway import ThrowawayServer
from pgtest import query


def _databases_of(admin_uri: str, owner: str) -> list[str]:
    return [
        name
        for (name,) in query(
            admin_uri,
            "SELECT datname FROM pg_database "
            "WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %s) ORDER BY datname",
            owner,
        )
    ]


def test_databases_made_at_once_each_have_the_schema_extensions_and_owner(
    pg_admin_uri, throwaway_role
):
    owner = throwaway_role("t_models_owner")
    server = ThrowawayServer(pg_admin_uri, owner=owner, schema="app", extensions=["pgcrypto"])
    try:
        made = server.new_databases(2)
        assert len({database.name for database in made}) == 2
        assert _databases_of(pg_admin_uri, owner) == sorted(d.name for d in made)
        for database in made:
            # As the owner, on the search_path upgrade uses: the schema and the extension.
            assert query(
                database.owner_uri,
                "SELECT current_user, current_schema(), "
                "(SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'app'), "
                "(SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'), "
                "current_setting('synchronous_commit')",
            ) == [(owner, "app", owner, 1, "off")]
        # Made after them, a third one gets a name of its own.
        third = server.new_database()
        assert third.name not in {database.name for database in made}
    finally:
        server.close()
    assert _databases_of(pg_admin_uri, owner) == []


def test_databases_made_at_once_for_a_throwaway_role_are_dropped_with_it(pg_admin_uri):
    server = ThrowawayServer(pg_admin_uri)
    owner = server.owner
    try:
        made = server.new_databases(2)
        assert _databases_of(pg_admin_uri, owner) == sorted(d.name for d in made)
    finally:
        server.close(wait=False)
    assert _databases_of(pg_admin_uri, owner) == []
    assert query(pg_admin_uri, "SELECT count(*) FROM pg_roles WHERE rolname = %s", owner) == [(0,)]
