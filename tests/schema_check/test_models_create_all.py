"""check-models' create_all() sends the models' DDL in one round trip: what it builds is what
SQLAlchemy's own create_all() builds, listeners and percent signs included."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import DDL, create_engine, event

from manage_db.dao.connection import connect
from manage_db.dao.snapshot import SnapshotReader
from manage_db.dao.throwaway import ThrowawayServer
from manage_db.runtime.models_schema import create_all
from manage_db.runtime.session import sqlalchemy_url


def _models(seen: list[int]) -> sa.MetaData:
    metadata = sa.MetaData()
    table = sa.Table(
        "offer",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(20), server_default="50% off", comment="a 10% comment"),
        sa.Column("kind", sa.Enum("p%", "q", name="offer_kind")),
        sa.CheckConstraint("label LIKE '%off'", name="offer_label_check"),
        sa.Index("offer_lower_label_idx", sa.text("lower(label)")),
        comment="100% offers",
    )
    sa.Table("line", metadata, sa.Column("offer_id", sa.ForeignKey("offer.id")))
    event.listen(table, "after_create", DDL("COMMENT ON COLUMN offer.id IS '5%% id'"))

    def count_offers(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
        # A listener that reads the database sees the DDL before it.
        seen.append(connection.execute(sa.text("SELECT count(*) FROM offer")).scalar_one())

    event.listen(table, "after_create", count_offers)
    event.listen(
        table,
        "after_create",
        DDL("CREATE FUNCTION offer_rate() RETURNS text LANGUAGE sql AS $$ SELECT '5%%' $$"),
    )
    return metadata


def _snapshot(uri: str):
    connection = connect(uri)
    try:
        return SnapshotReader(connection).take()
    finally:
        connection.close()


def test_the_joined_ddl_builds_what_sqlalchemy_builds(pg_admin_uri):
    ours_seen: list[int] = []
    theirs_seen: list[int] = []
    with ThrowawayServer(pg_admin_uri) as server:
        ours, theirs = server.new_databases(2)
        create_all(_models(ours_seen), ours.owner_uri)
        engine = create_engine(sqlalchemy_url(theirs.owner_uri))
        try:
            with engine.begin() as connection:
                _models(theirs_seen).create_all(connection, checkfirst=False)
        finally:
            engine.dispose()
        built, expected = _snapshot(ours.admin_uri), _snapshot(theirs.admin_uri)
        texts = connect(ours.admin_uri)
        try:
            with texts.cursor() as cursor:
                cursor.execute(
                    "SELECT obj_description('offer'::regclass), "
                    "col_description('offer'::regclass, 1), offer_rate()"
                )
                described = cursor.fetchone()
        finally:
            texts.close()
    assert built.same_as(expected)
    assert ("function", "public.offer_rate()") in set(built.keys())
    assert described == ("100% offers", "5% id", "5%")
    assert ours_seen == theirs_seen == [0]
