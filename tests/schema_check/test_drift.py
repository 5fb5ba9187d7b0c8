"""drift: a live database against the schema its history gives at the revision it is at."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest
import yaml

from pgtest import admin_execute, with_db


@pytest.fixture
def live(shop_config, run_cli, pg_admin_uri, throwaway_role):
    """The shop component initialised and upgraded; (config, superuser URI of its database)."""
    config = shop_config()
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    return config, with_db(pg_admin_uri, shop_config.database)


def _drift(run_cli, config, *args):
    result = run_cli("drift", *args, config=config)
    assert result.exit_code in (0, 1), result
    return result


def test_an_untouched_database_is_clean(live, run_cli):
    config, _ = live
    result = _drift(run_cli, config)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        "demo: clean: history against live database (demo@s2000000note)"
    ]


def test_a_database_behind_its_head_is_compared_at_its_own_revision(live, run_cli):
    config, _ = live
    assert run_cli("downgrade", "s1000000acct", config=config).exit_code == 0
    result = _drift(run_cli, config)
    assert result.exit_code == 0, result
    assert "(demo@s1000000acct)" in result.stdout


# (a hand edit, as the superuser, the line drift must print)
HAND_EDITS = {
    "index added": (
        ["CREATE INDEX note_body_idx ON note (body)"],
        ["index public.note_body_idx: in the live database, not in the history"],
    ),
    "index dropped": (
        ["DROP INDEX account_email_idx"],
        ["index public.account_email_idx: in the history, not in the live database"],
    ),
    "column default changed": (
        ["ALTER TABLE account ALTER COLUMN status SET DEFAULT 'active'"],
        [
            "table public.account: column status default: history "
            "\"'new'::public.account_status\", live database \"'active'::public.account_status\""
        ],
    ),
    "column added": (
        ["ALTER TABLE note ADD COLUMN extra integer NOT NULL DEFAULT 0"],
        [
            "table public.note: column extra: in the live database (integer not null default 0), "
            "not in the history"
        ],
    ),
    "type changed": (
        ["ALTER TABLE account ALTER COLUMN email TYPE varchar(200)"],
        [
            "table public.account: column email type: history 'character varying(80)', "
            "live database 'character varying(200)'"
        ],
    ),
    "constraint dropped": (
        ["ALTER TABLE account DROP CONSTRAINT account_score_check"],
        [
            "table public.account: constraint account_score_check: in the history "
            "(CHECK ((score >= 0))), not in the live database"
        ],
    ),
    "owner changed": (
        ["ALTER TABLE note OWNER TO postgres"],
        [
            "sequence public.note_id_seq: owner: history '{role}', live database 'postgres'",
            "table public.note: owner: history '{role}', live database 'postgres'",
        ],
    ),
    "grant": (
        ["GRANT SELECT ON account TO PUBLIC"],
        [
            "table public.account: acl: history none, live database "
            "'{{{role}=arwdDxt/{role},=r/{role}}}'"
        ],
    ),
    "function added": (
        ["CREATE FUNCTION shop_total() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM note'"],
        ["function public.shop_total(): in the live database, not in the history"],
    ),
}


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
def test_each_hand_edit_is_one_line(edit, live, run_cli, shop_config):
    config, uri = live
    statements, expected = HAND_EDITS[edit]
    admin_execute(uri, *statements)
    result = _drift(run_cli, config)
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"demo: {len(expected)} difference(s): history against live database (demo@s2000000note)"
    )
    assert lines[1:] == [f"  {line.format(role=shop_config.role)}" for line in expected]


def test_json_lists_the_differences(live, run_cli):
    config, uri = live
    admin_execute(uri, "CREATE INDEX note_body_idx ON note (body)")
    result = _drift(run_cli, config, "--json")
    (report,) = json.loads(result.stdout)
    assert report["component"] == "demo" and report["clean"] is False
    assert report["revisions"] == ["demo@s2000000note"]
    assert [(d["object"], d["change"]) for d in report["differences"]] == [
        ("index public.note_body_idx", "extra")
    ]


def test_reads_the_live_database_read_only_and_past_a_held_table_lock(live, run_cli):
    """Writes refused by the database and an EXCLUSIVE lock held on a table (it blocks every
    lock but ACCESS SHARE): drift still reads, and reports, within its lock timeout."""
    config, uri = live
    admin_execute(uri, "CREATE INDEX note_body_idx ON note (body)")
    database = psycopg2.extensions.parse_dsn(uri)["dbname"]
    holder = psycopg2.connect(uri)
    try:
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLE account, note IN EXCLUSIVE MODE")
        admin_execute(uri, f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
        result = _drift(run_cli, config)
    finally:
        holder.rollback()
        holder.close()
        admin_execute(
            uri,
            "SET default_transaction_read_only = off",
            f'ALTER DATABASE "{database}" RESET default_transaction_read_only',
        )
    assert result.exit_code == 1, result
    assert "index public.note_body_idx: in the live database" in result.stdout


def test_a_revision_the_tree_does_not_know_is_one_line(live, run_cli):
    config, uri = live
    admin_execute(uri, "UPDATE alembic_version_shop SET version_num = 'feedfacecafe'")
    result = run_cli("drift", config=config)
    assert result.exit_code == 6, result
    assert result.stderr.startswith("wazo-manage-db: demo: ")
    assert "feedfacecafe" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


CLEAN_TREE = Path(__file__).resolve().parent.parent / "fixtures" / "verify" / "clean"


def test_components_sharing_a_database_are_built_together(shop_config, run_cli, pg_admin_uri):
    """Another component's tables in the same database are its own, not drift; a hand edit on
    them still is."""
    contacts = {
        "script_location": str(CLEAN_TREE),
        "database": None,
        "version_table": "alembic_version_fixture",
    }
    config = shop_config()
    settings = yaml.safe_load(config.read_text())
    contacts["database"] = settings["components"]["demo"]["database"]
    contacts["owner"] = settings["components"]["demo"]["owner"]
    settings["components"]["contacts"] = contacts
    config.write_text(yaml.safe_dump(settings))
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    result = _drift(run_cli, config, "--component", "demo")
    assert result.exit_code == 0, result
    # The config file's components are in name order: contacts first.
    assert result.stdout.splitlines() == [
        "contacts+demo: clean: history against live database "
        "(contacts@a4000000enum, demo@s2000000note)"
    ]
    admin_execute(
        with_db(pg_admin_uri, contacts["database"]), "CREATE INDEX hand_idx ON contact (name)"
    )
    result = _drift(run_cli, config, "--component", "demo")
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[1:] == [
        "  index public.hand_idx: in the live database, not in the history"
    ]


def test_a_schema_confined_component_is_compared_within_its_schema(
    shop_config, run_cli, pg_admin_uri
):
    config = shop_config(schema="shop")
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    uri = with_db(pg_admin_uri, shop_config.database)
    # Outside the component's schema: not its business.
    admin_execute(uri, "CREATE TABLE public.elsewhere (id integer)")
    result = _drift(run_cli, config)
    assert result.exit_code == 0, result
    admin_execute(uri, "CREATE INDEX hand_idx ON shop.note (body)")
    result = _drift(run_cli, config)
    assert result.stdout.splitlines()[1:] == [
        "  index shop.hand_idx: in the live database, not in the history"
    ]
