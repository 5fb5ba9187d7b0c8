"""The migration session's settings travel in the connection URI (libpq options), built in one
module (dao.session); several hosts pass to libpq and to SQLAlchemy unchanged."""

from __future__ import annotations

import pytest

from manage_db.access import Access
from manage_db.dao.connection import build_uri, describe, libpq_form, parse_uri, redact
from manage_db.dao.session import confined, migration_session_uri, with_settings
from manage_db.models import Component
from manage_db.runtime.session import migration_uri, sqlalchemy_url
from manage_db.timeouts import SessionTimeouts

PAIR = "postgresql://owner:s3cret@standby.example:5433,primary.example:5432/db"


def _confined(uri: str, schema: str | None, extensions: tuple[str, ...] = ()) -> str:
    params = parse_uri(uri)
    confined(params, schema, extensions)
    return build_uri(params)


def test_schema_component_sees_its_own_schema_only():
    uri = _confined("postgresql://chatd@db.example:5432/asterisk", "chatd")
    assert parse_uri(uri)["options"] == '-c search_path="chatd"'


def test_schema_component_with_extensions_sees_their_schema_after_its_own():
    uri = _confined("postgresql://chatd@db.example/asterisk", "App Sch,public", ("uuid-ossp",))
    assert parse_uri(uri)["options"] == '-c search_path="App\\ Sch,public","public"'


def test_unconfined_component_keeps_its_uri():
    assert _confined("postgresql://auth@localhost/auth", None) == "postgresql://auth@localhost/auth"


def test_settings_join_options_already_in_the_uri_and_survive_spaces():
    given = "postgresql://o@localhost/d?options=-c%20statement_timeout%3D0"
    uri = migration_uri(_confined(given, "my schema"))
    assert parse_uri(uri)["options"] == (
        '-c statement_timeout=0 -c search_path="my\\ schema" -c synchronous_commit=off'
    )


def test_migration_session_asks_for_a_primary_when_the_uri_says_nothing():
    params = parse_uri(migration_session_uri(PAIR, SessionTimeouts(), 150000))
    assert params["target_session_attrs"] == "primary"
    assert "-c synchronous_commit=off" in params["options"]
    assert (params["host"], params["port"]) == ("standby.example,primary.example", "5433,5432")


def test_migration_session_keeps_the_target_the_uri_names():
    uri = PAIR + "?target_session_attrs=read-write"
    params = parse_uri(migration_session_uri(uri, SessionTimeouts(), 150000))
    assert params["target_session_attrs"] == "read-write"


@pytest.mark.parametrize(
    "uri",
    [
        PAIR,
        "host=standby.example,primary.example port=5433,5432 dbname=db user=owner password=s3cret",
        "postgresql+psycopg2://owner:s3cret@/db?host=standby.example:5433&host=primary.example:5432",
        "postgresql://owner:s3cret@/db?host=standby.example,primary.example&port=5433,5432",
    ],
)
def test_every_spelling_of_a_pair_reaches_libpq_as_the_same_hosts_and_ports(uri):
    params = parse_uri(uri)
    assert (params["host"], params["port"]) == ("standby.example,primary.example", "5433,5432")
    assert parse_uri(build_uri(params)) == params
    assert describe(uri) == "owner@standby.example:5433,primary.example:5432/db"
    shown = redact(uri)
    assert "s3cret" not in shown
    assert "standby.example:5433,primary.example:5432" in shown


def test_a_host_without_its_port_keeps_the_default_for_that_host_only():
    params = parse_uri("postgresql://u@h1,h2:5433,[::1]:5434/db")
    assert params["port"] == ",5433,5434"
    assert parse_uri(build_uri(params)) == params
    assert describe("postgresql://u@h1,h2:5433/db") == "u@h1:5432,h2:5433/db"


def test_one_port_for_several_hosts_is_every_hosts_port():
    params = parse_uri("host=h1,h2 port=6432 dbname=d")
    assert build_uri(params) == "postgresql://h1:6432,h2:6432/d"


def test_options_are_added_to_a_multi_host_uri_without_losing_a_host():
    params = parse_uri(with_settings(PAIR + "?application_name=x", {"lock_timeout": "1s"}))
    assert params["host"] == "standby.example,primary.example"
    assert params["application_name"] == "x"


def test_sqlalchemy_url_of_a_pair_is_the_spelling_both_sqlalchemy_versions_accept():
    url = sqlalchemy_url(PAIR + "?target_session_attrs=primary")
    assert url == (
        "postgresql+psycopg2://owner:s3cret@/db?host=standby.example,primary.example"
        "&port=5433,5432&target_session_attrs=primary"
    )
    from sqlalchemy import create_engine

    engine = create_engine(url)
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert (kwargs["host"], str(kwargs["port"])) == (
        "standby.example,primary.example",
        "5433,5432",
    )
    assert kwargs["target_session_attrs"] == "primary"
    assert parse_uri(libpq_form(url))["host"] == "standby.example,primary.example"


def test_single_host_url_is_unchanged_but_for_the_driver():
    assert sqlalchemy_url("postgresql://u@h:5432/d") == "postgresql+psycopg2://u@h:5432/d"


def test_peer_admin_on_a_pair_has_one_socket_per_host():
    access = Access({"db_uri": "postgresql://u@h1:5433,h2:5432/d", "socket_dir": "/run/pg"})
    params = parse_uri(access.admin_uri())
    assert (params["host"], params["port"]) == ("/run/pg,/run/pg", "5433,5432")


def test_owner_uri_of_a_pair_keeps_every_host(tmp_path):
    access = Access({"db_uri": PAIR})
    component = Component(
        name="auth", script_location=tmp_path, database="auth", owner="auth", schema="auth"
    )
    params = parse_uri(access.owner_uri(component))
    assert (params["host"], params["port"]) == ("standby.example,primary.example", "5433,5432")
    assert (params["user"], params["dbname"]) == ("auth", "auth")


def _reached(host: str, port: int) -> object:
    from types import SimpleNamespace

    return SimpleNamespace(info=SimpleNamespace(host=host, port=port))


def test_the_host_a_run_reached_goes_first_the_others_keep_their_order():
    from manage_db.dao.connection import reached_first

    uri = "postgresql://u@s1:5433,p:5432,s2/db?target_session_attrs=primary"
    params = parse_uri(reached_first(uri, _reached("p", 5432)))
    assert (params["host"], params["port"]) == ("p,s1,s2", "5432,5433,")
    assert params["target_session_attrs"] == "primary"
    assert reached_first("postgresql://u@h/db", _reached("h", 5432)) == "postgresql://u@h/db"


def test_libpq_errors_of_several_hosts_are_one_line_naming_each():
    from manage_db.dao.connection import libpq_message

    error = Exception(
        'connection to server at "10.0.0.2", port 5433 failed: server is in hot standby mode\n'
        'connection to server at "10.0.0.1", port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?\n"
    )
    assert libpq_message(error, every_host=True) == (
        'connection to server at "10.0.0.2", port 5433 failed: server is in hot standby mode; '
        'connection to server at "10.0.0.1", port 5432 failed: Connection refused'
    )
