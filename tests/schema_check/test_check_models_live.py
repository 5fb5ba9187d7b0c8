"""check-models --live: the models' create_all() against the live database at head."""

from __future__ import annotations

import json

import pytest
import yaml
from test_check_models import MISMATCHES

from pgtest import admin_execute, with_db


@pytest.fixture
def at_head(shop_config, run_cli):
    """The shop component initialised and upgraded to head; its config."""
    config = shop_config()
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    return config


def test_models_that_match_the_live_database_are_clean(at_head, write_models, run_cli):
    result = run_cli("check-models", "--live", "--models", write_models(), config=at_head)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        "demo: clean: models against live database (s2000000note)"
    ]


@pytest.mark.parametrize("mismatch", ["missing index", "nullability", "enum label"])
def test_a_difference_is_found_as_the_build_mode_finds_it(mismatch, at_head, write_models, run_cli):
    replacement, expected = MISMATCHES[mismatch]
    models = write_models(replacement)
    built = run_cli("check-models", "--models", models, config=at_head)
    live = run_cli("check-models", "--live", "--models", models, config=at_head)
    assert built.exit_code == live.exit_code == 1, live
    lines = live.stdout.splitlines()
    assert lines == [
        "demo: 1 difference(s): models against live database (s2000000note)",
        "  " + expected.replace("migrations", "live database"),
    ]
    assert lines[1:] == [
        line.replace("migrations", "live database") for line in built.stdout.splitlines()[1:]
    ]


def test_a_hand_made_index_on_the_live_database_is_a_difference(
    at_head, write_models, run_cli, shop_config, pg_admin_uri
):
    admin_execute(
        with_db(pg_admin_uri, shop_config.database), "CREATE INDEX hand_idx ON note (body)"
    )
    result = run_cli("check-models", "--live", "--json", "--models", write_models(), config=at_head)
    assert result.exit_code == 1, result
    (report,) = json.loads(result.stdout)
    assert report["actual"] == "live database" and report["revisions"] == ["s2000000note"]
    assert [d["object"] for d in report["differences"]] == ["index public.hand_idx"]


def test_a_database_behind_head_is_refused_in_one_line(
    at_head, write_models, run_cli, shop_config, pg_admin_uri
):
    assert run_cli("downgrade", "s1000000acct", config=at_head).exit_code == 0
    result = run_cli("check-models", "--live", "--models", write_models(), config=at_head)
    assert result.exit_code == 3, result
    assert result.stderr.strip() == (
        f"wazo-manage-db: demo: database {shop_config.database} is at s1000000acct, not at the "
        "head s2000000note: upgrade it first, or run check-models without --live"
    )
    assert result.stdout == ""
    status = run_cli("status", config=at_head)
    assert "s1000000acct" in status.stdout, status  # nothing changed


def test_a_database_never_upgraded_is_at_base(shop_config, write_models, run_cli):
    config = shop_config()
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("check-models", "--live", "--models", write_models(), config=config)
    assert result.exit_code == 3, result
    assert "is at base, not at the head s2000000note" in result.stderr


def test_an_unreachable_database_is_exit_4(at_head, write_models, run_cli):
    from manage_db.dao.connection import build_uri, parse_uri

    settings = yaml.safe_load(at_head.read_text())
    params = parse_uri(settings["db_uri"])
    settings["db_uri"] = build_uri({**params, "port": "1"})  # nothing listens there
    at_head.write_text(yaml.safe_dump(settings))
    result = run_cli("check-models", "--live", "--models", write_models(), config=at_head)
    assert result.exit_code == 4, result
    assert result.stderr.startswith("wazo-manage-db: cannot connect to "), result
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_a_schema_confined_component_compares_its_schema_only(
    shop_config, write_models, run_cli, pg_admin_uri
):
    config = shop_config(schema="shop")
    assert run_cli("init", config=config).exit_code == 0
    assert run_cli("upgrade", config=config).exit_code == 0
    # Another schema of the same database is not the component's.
    admin_execute(
        with_db(pg_admin_uri, shop_config.database), "CREATE TABLE public.elsewhere (id int)"
    )
    result = run_cli("check-models", "--live", "--models", write_models(), config=config)
    assert result.exit_code == 0, result
    replacement, _ = MISMATCHES["nullability"]
    result = run_cli("check-models", "--live", "--models", write_models(replacement), config=config)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[1:] == [
        "  table shop.account: column email not_null: models False, live database True"
    ]
