"""The platform tree (alembic/ at the repo root) against a real PostgreSQL.

Every test runs the tree through alembic's Python API, connected as a throwaway owner
role, and checks what an operator or the verify tool would check: the schema after a
downgrade is the schema before the upgrade, objects belong to the owner, data survives.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parents[2]
BASELINE = "3f1c0e5a9b27"
DATA_MIGRATION = "81d4b3e9f2a0"
VERSION_BUMP = "9a3d7c5e1f64"
DATA_ONLY_REVISIONS = {VERSION_BUMP}
BASELINE_SQL = REPO / "alembic" / "sql" / "asterisk_baseline_26.08.sql"


def _revisions_base_to_head() -> list[str]:
    script = ScriptDirectory.from_config(Config(str(REPO / "alembic.ini")))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


REVISIONS = _revisions_base_to_head()


def _fetch_all(database, query: str, params: tuple | dict = ()) -> list[tuple]:
    connection = database.connect_as_superuser()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


def _objects_left_by_the_tree(database) -> list[tuple]:
    """Tables, sequences, views, functions and types not part of an extension."""
    return _fetch_all(
        database,
        """
        SELECT 'relation', c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')
        UNION ALL
        SELECT 'function', p.proname FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
        UNION ALL
        SELECT 'type', t.typname FROM pg_type t
          JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'b', 'r', 'm')
           AND t.typelem = 0
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                              AND d.deptype = 'e')
        ORDER BY 1, 2
        """,
    )


def test_tree_is_one_linear_history_starting_at_the_baseline():
    script = ScriptDirectory.from_config(Config(str(REPO / "alembic.ini")))

    assert len(script.get_heads()) == 1
    assert script.get_bases() == [BASELINE]
    assert REVISIONS[0] == BASELINE
    assert REVISIONS[-1] == VERSION_BUMP
    assert len(REVISIONS) >= 7


def test_upgrade_downgrade_upgrade_gives_the_same_schema(platform_db, alembic_config: Config):
    command.upgrade(alembic_config, "head")
    first_head = platform_db.schema_dump()
    command.downgrade(alembic_config, "base")
    command.upgrade(alembic_config, "head")

    assert platform_db.schema_dump() == first_head
    assert "CREATE TABLE public.infos" in first_head


def test_downgrade_to_base_leaves_only_the_version_table(platform_db, alembic_config: Config):
    command.upgrade(alembic_config, "head")
    command.downgrade(alembic_config, "base")

    assert _objects_left_by_the_tree(platform_db) == [("relation", "alembic_version")]


@pytest.mark.parametrize("revision", REVISIONS[1:])
def test_downgrade_restores_the_previous_schema_exactly(
    platform_db, alembic_config: Config, revision: str
):
    previous = REVISIONS[REVISIONS.index(revision) - 1]
    command.upgrade(alembic_config, previous)
    before = platform_db.schema_dump()
    command.upgrade(alembic_config, revision)
    after_upgrade = platform_db.schema_dump()
    command.downgrade(alembic_config, previous)

    # A revision that only changes data must leave the schema alone; any other must change it.
    assert (after_upgrade == before) == (revision in DATA_ONLY_REVISIONS)
    assert platform_db.schema_dump() == before


def test_baseline_downgrade_restores_the_empty_schema(platform_db, alembic_config: Config):
    # Stamping creates the version table and touches nothing else: the empty reference.
    command.stamp(alembic_config, BASELINE)
    command.stamp(alembic_config, "base")
    empty = platform_db.schema_dump()
    command.upgrade(alembic_config, BASELINE)
    command.downgrade(alembic_config, "base")

    assert platform_db.schema_dump() == empty


def test_every_object_belongs_to_the_owner_role_without_explicit_acl(
    platform_db, alembic_config: Config
):
    command.upgrade(alembic_config, "head")

    offenders = _fetch_all(
        platform_db,
        """
        SELECT 'relation', c.relname, pg_get_userbyid(c.relowner), c.relacl::text
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')
           AND (pg_get_userbyid(c.relowner) <> %(owner)s OR c.relacl IS NOT NULL)
        UNION ALL
        SELECT 'function', p.proname, pg_get_userbyid(p.proowner), p.proacl::text
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
           AND (pg_get_userbyid(p.proowner) <> %(owner)s OR p.proacl IS NOT NULL)
        UNION ALL
        SELECT 'type', t.typname, pg_get_userbyid(t.typowner), t.typacl::text
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_type'::regclass
                              AND d.objid IN (t.oid, t.typelem) AND d.deptype = 'e')
           AND (pg_get_userbyid(t.typowner) <> %(owner)s OR t.typacl IS NOT NULL)
        """,
        {"owner": platform_db.owner},
    )
    owned = _fetch_all(
        platform_db,
        "SELECT count(*) FROM pg_class WHERE relowner = %s::regrole",
        (platform_db.owner,),
    )

    assert offenders == []
    assert owned[0][0] > 15


def test_infos_holds_one_row_with_the_platform_uuid_and_version(
    platform_db, alembic_config: Config
):
    command.upgrade(alembic_config, "head")
    at_head = _fetch_all(platform_db, "SELECT uuid::text, wazo_version FROM infos")
    command.downgrade(alembic_config, "-1")
    before_bump = _fetch_all(platform_db, "SELECT uuid::text, wazo_version FROM infos")

    assert len(at_head) == 1
    platform_uuid, version = at_head[0]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", platform_uuid
    )
    assert version == "26.09"
    assert before_bump == [(platform_uuid, "26.08")]


def test_mobile_numbers_move_to_user_mobile_phone_and_back(platform_db, alembic_config: Config):
    previous = REVISIONS[REVISIONS.index(DATA_MIGRATION) - 1]
    command.upgrade(alembic_config, previous)
    connection = platform_db.connect_as_owner()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("INSERT INTO tenant (uuid, name) VALUES ('t1', 'acme') ")
            cursor.execute(
                "INSERT INTO userfeatures (tenant_uuid, firstname, lastname, mobilephonenumber)"
                " VALUES ('t1', 'Alice', 'Doe', '+15145550101'),"
                " ('t1', 'Bob', 'Roe', ''),"
                " ('t1', 'Carol', 'Poe', '5550199')"
            )
            cursor.execute("SELECT id, firstname, mobilephonenumber FROM userfeatures ORDER BY id")
            users_before = cursor.fetchall()
    finally:
        connection.close()

    command.upgrade(alembic_config, DATA_MIGRATION)
    moved = _fetch_all(
        platform_db,
        "SELECT u.firstname, m.number FROM user_mobile_phone m"
        " JOIN userfeatures u ON u.id = m.user_id ORDER BY u.id",
    )
    command.downgrade(alembic_config, previous)
    users_after = _fetch_all(
        platform_db, "SELECT id, firstname, mobilephonenumber FROM userfeatures ORDER BY id"
    )

    assert moved == [("Alice", "+15145550101"), ("Carol", "5550199")]
    assert users_after == users_before


def test_user_callerid_is_derived_from_the_name_by_the_baseline_trigger(
    platform_db, alembic_config: Config
):
    command.upgrade(alembic_config, "head")
    connection = platform_db.connect_as_owner()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("INSERT INTO tenant (uuid) VALUES ('t1')")
            cursor.execute(
                "INSERT INTO userfeatures (tenant_uuid, firstname, lastname)"
                " VALUES ('t1', 'Alice', 'Doe') RETURNING callerid"
            )
            (callerid,) = cursor.fetchone()
    finally:
        connection.close()

    assert callerid == '"Alice Doe"'


def test_parking_extensions_are_removed_with_the_enum_value(platform_db, alembic_config: Config):
    enum_change = "c2e81f7a0d56"
    command.upgrade(alembic_config, enum_change)
    connection = platform_db.connect_as_owner()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO extensions (context, exten, type, typeval) VALUES"
                " ('default', '700', 'parking', '1'), ('default', '1001', 'user', '1')"
            )
    finally:
        connection.close()
    command.downgrade(alembic_config, "-1")

    labels = _fetch_all(
        platform_db,
        "SELECT enumlabel::text FROM pg_enum"
        " WHERE enumtypid = 'extenumbers_type'::regtype ORDER BY enumsortorder",
    )

    assert _fetch_all(platform_db, "SELECT exten, type::text FROM extensions") == [("1001", "user")]
    assert [label for (label,) in labels] == [
        "extenfeatures",
        "featuremap",
        "generalfeatures",
        "group",
        "incall",
        "outcall",
        "queue",
        "user",
        "voicemenu",
        "conference",
    ]


def test_offline_sql_renders_the_whole_tree(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ALEMBIC_DB_URI", "postgresql://nobody@127.0.0.1/nowhere")
    output = io.StringIO()
    config = Config(str(REPO / "alembic.ini"), output_buffer=output)

    command.upgrade(config, "head", sql=True)

    rendered = output.getvalue()
    assert "CREATE TABLE infos" in rendered
    assert "CREATE INDEX CONCURRENTLY userfeatures__idx__voicemailid" in rendered
    assert "wazo_version = '26.09'" in rendered


def test_baseline_dump_holds_no_bind_parameters():
    # alembic wraps the dump in text(): a ':word' outside a cast would become a bind param.
    compiled = sa.text(BASELINE_SQL.read_text(encoding="utf-8")).compile()

    assert compiled.params == {}


def _type_name(node: object) -> str:
    return type(node).__name__


FORBIDDEN_STATEMENTS = {
    "GrantStmt",
    "GrantRoleStmt",
    "AlterOwnerStmt",
    "AlterDefaultPrivilegesStmt",
    "ReassignOwnedStmt",
}


def test_baseline_dump_is_plain_sql_without_ownership_statements():
    pglast = pytest.importorskip("pglast")
    text = BASELINE_SQL.read_text(encoding="utf-8")

    statements = [raw.stmt for raw in pglast.parse_sql(text)]
    kinds = {_type_name(statement) for statement in statements}
    settings = [statement for statement in statements if _type_name(statement) == "VariableSetStmt"]

    assert sum(kind == "CreateStmt" for kind in map(_type_name, statements)) == 15
    assert kinds.isdisjoint(FORBIDDEN_STATEMENTS)
    assert settings == []
    assert "set_config" not in text
    assert "\\" not in text, "psql meta-commands are not SQL"
