"""Every bad input of issue 13 in one table: one prefixed line, its documented exit code, no
traceback and no password, whatever went wrong."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from psycopg2 import sql

from manage_db.dao import throwaway
from pgtest import (
    admin_connection,
    admin_execute,
    demo_settings,
    query,
    run_tool,
    throwaway_names,
    with_db,
)
from trees import make_tree

SECRET = "SECRET-pw-7f3a"
GOOD = (
    "a1a1a1a1a1a1",
    None,
    'op.execute("CREATE TABLE one (id int)")',
    'op.execute("DROP TABLE one")',
)
OTHER_HEAD = (
    "b2b2b2b2b2b2",
    None,
    'op.execute("CREATE TABLE two (id int)")',
    'op.execute("DROP TABLE two")',
)
BROKEN = ("c3c3c3c3c3c3", "a1a1a1a1a1a1", "op.execute(", "pass")


@dataclass
class Setup:
    """What a case may use to build its configuration: a tmp dir and the test server."""

    tmp_path: Path
    admin_uri: str
    cleanup: Callable[..., None]
    write_config: Callable[..., Path]

    def names(self) -> tuple[str, str]:
        return throwaway_names(self.cleanup, "t_bad")

    def config(self, settings: dict) -> Path:
        return self.write_config({"plugins": False, **settings})

    def component(self, revisions=(GOOD,), db_uri: str | None = None, **component) -> Path:
        role, database = self.names()
        location = make_tree(self.tmp_path / "tree", list(revisions), "alembic_version_bad")
        settings = demo_settings(
            self.admin_uri, role, database, location, "alembic_version_bad", **component
        )
        return self.config({**settings, "db_uri": db_uri or settings["db_uri"]})

    def initialised(self, revisions=(GOOD,), **component) -> tuple[Path, str]:
        """A component whose role and database exist; returns its config and superuser URI."""
        config = self.component(revisions, **component)
        demo = yaml.safe_load(config.read_text())["components"]["demo"]
        with admin_connection(self.admin_uri) as admin:
            throwaway.create_role(admin, demo["owner"])
            throwaway.create_database(admin, demo["database"], demo["owner"])
        return config, with_db(self.admin_uri, demo["database"])


@pytest.fixture
def setup(tmp_path, pg_admin_uri, cleanup, write_config) -> Setup:
    return Setup(tmp_path, pg_admin_uri, cleanup, write_config)


def extensions_not_strings(s: Setup) -> Path:
    return s.component(extensions=[1, 2])


def config_not_utf8(s: Setup) -> Path:
    path = s.tmp_path / "config.yml"
    path.write_bytes(b"log_level: info\n# caf\xe9\n")
    return path


def extension_refused(s: Setup) -> Path:
    return s.component(extensions=["no_such_extension_x"])


def version_table_unreadable(s: Setup) -> Path:
    config, admin_db = s.initialised()
    admin_execute(admin_db, "CREATE TABLE alembic_version_bad (version_num varchar(32))")
    return config


def negative_lock_wait(s: Setup) -> Path:
    return s.config({"lock_wait": -1})


def negative_server_wait(s: Setup) -> Path:
    return s.config({"server_wait": -0.5})


def unknown_os_user_in_config(s: Setup) -> Path:
    return s.config({"user": "no-such-user-x1"})


def bad_scheme(s: Setup) -> Path:
    return s.config({"db_uri": f"postgresq://u:{SECRET}@h/db"})


def bad_admin_uri_scheme(s: Setup) -> Path:
    return s.component(admin_uri=f"postgresq://postgres:{SECRET}@h/db")


def port_not_a_number(s: Setup) -> Path:
    return s.config({"db_uri": f"postgresql://u:{SECRET}@h:abc/db"})


def at_unknown_revision(s: Setup) -> Path:
    config, admin_db = s.initialised()
    owner = yaml.safe_load(config.read_text())["components"]["demo"]["owner"]
    admin_execute(
        admin_db,
        "CREATE TABLE alembic_version_bad (version_num varchar(32) PRIMARY KEY)",
        "INSERT INTO alembic_version_bad VALUES ('deadbeef0000')",
        sql.SQL("ALTER TABLE alembic_version_bad OWNER TO {}").format(sql.Identifier(owner)),
    )
    return config


def revision_file_does_not_load(s: Setup) -> Path:
    config, _ = s.initialised(revisions=(GOOD, BROKEN))
    return config


def name_too_long(s: Setup) -> Path:
    return s.component(owner="o" * 64)


def two_heads(s: Setup) -> Path:
    return s.initialised(revisions=(GOOD, OTHER_HEAD))[0]


def sqlalchemy_spelling(s: Setup) -> Path:
    role, database = s.names()
    uri = with_db(s.admin_uri, database, role).replace("postgresql://", "postgresql+psycopg2://")
    return s.component(db_uri=uri, database=None, owner=None)


def plain(s: Setup) -> Path:
    return s.config({})


# (case, global options, command, exit code, what the one stderr line says)
CASES = [
    (
        extensions_not_strings,
        [],
        ["status"],
        2,
        "'components.demo.extensions' must be a list of str",
    ),
    (config_not_utf8, [], ["status"], 2, "config.yml: not UTF-8 text (byte 21: 0xe9)"),
    (extension_refused, [], ["init"], 2, "the server refuses extension 'no_such_extension_x'"),
    (version_table_unreadable, [], ["status"], 4, "cannot read version table alembic_version_bad"),
    (version_table_unreadable, [], ["upgrade"], 4, "cannot read version table alembic_version_bad"),
    (negative_lock_wait, [], ["status"], 2, "lock_wait: must not be negative"),
    (negative_server_wait, [], ["status"], 2, "server_wait: must not be negative"),
    (unknown_os_user_in_config, None, ["status"], 2, "user 'no-such-user-x1' does not exist"),
    (plain, ["-u", "no-such-user-x1"], ["status"], 2, "user 'no-such-user-x1' does not exist"),
    (bad_scheme, [], ["status"], 2, "db_uri: invalid database URI postgresq://u:***@h/db"),
    (bad_admin_uri_scheme, [], ["init"], 2, "invalid database URI postgresq://postgres:***@h/db"),
    (port_not_a_number, [], ["status"], 2, "port 'abc' is not a number"),
    (plain, ["--db-uri", f"postgresq://u:{SECRET}@h/db"], ["status"], 2, "invalid database URI"),
    # An applied revision missing from the tree is drift (the history's exit 8) in both.
    (at_unknown_revision, [], ["status"], 8, "deadbeef0000 applied but missing from the tree"),
    (at_unknown_revision, [], ["upgrade"], 8, "deadbeef0000 applied but missing from the tree"),
    (revision_file_does_not_load, [], ["status"], 6, "c3c3c3c3c3c3_step.py:10: syntax error"),
    (revision_file_does_not_load, [], ["upgrade"], 6, "c3c3c3c3c3c3_step.py:10: syntax error"),
    (name_too_long, [], ["init"], 2, "owner name is 64 bytes long, PostgreSQL allows at most 63"),
    (two_heads, [], ["upgrade"], 0, "warning: demo: the tree has 2 heads: applying each of them"),
    (sqlalchemy_spelling, [], ["status"], 4, "cannot connect to"),
    (plain, [], ["status", "--nope"], 2, "No such option"),
    (plain, [], ["upgrade", "--jsn"], 2, "No such option"),
    (plain, [], ["no-such-command"], 2, "No such command 'no-such-command'. (see --help)"),
]


def _run(config: Path, global_options: list[str] | None, args: list[str], cwd: Path):
    """The tool on ``config``; ``global_options`` None or naming ``-u``: the user it drops to
    is looked up (else, as root, ``-u root`` keeps it where it is)."""
    stay_root = global_options is not None and "-u" not in global_options
    options = global_options or []
    return run_tool(*options, *args, config=config, stay_root=stay_root, cwd=cwd, timeout=120)


@pytest.mark.parametrize(
    ("case", "global_options", "args", "code", "message"),
    CASES,
    ids=[f"{c[0].__name__}-{c[2][0]}" for c in CASES],
)
def test_bad_input_is_one_line_and_its_exit_code(
    case, global_options, args, code, message, setup, tmp_path
):
    if (global_options is None or "-u" in global_options) and os.geteuid() != 0:
        pytest.skip("the user to run as is only looked up when started as root")
    config = case(setup)
    done = _run(config, global_options, args, tmp_path)
    assert done.returncode == code, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("wazo-manage-db: "), lines
    assert message in lines[0]
    assert "Traceback" not in done.stderr
    log = tmp_path / "wazo-manage-db.log"
    for text in (done.stdout, done.stderr, log.read_text() if log.exists() else ""):
        assert SECRET not in text


def test_a_name_over_63_bytes_creates_nothing(setup, tmp_path, pg_admin_uri):
    config = setup.component(database="d" * 64)
    demo = yaml.safe_load(config.read_text())["components"]["demo"]
    assert _run(config, [], ["init"], tmp_path).returncode == 2
    assert query(pg_admin_uri, "SELECT 1 FROM pg_roles WHERE rolname = %s", demo["owner"]) == []
    assert query(pg_admin_uri, "SELECT 1 FROM pg_database WHERE datname LIKE 'ddd%%'") == []


def test_a_two_head_upgrade_applies_both_heads(setup, tmp_path):
    config = two_heads(setup)
    assert _run(config, [], ["upgrade"], tmp_path).returncode == 0
    done = _run(config, [], ["status"], tmp_path)
    assert done.returncode == 0, done
    assert "a1a1a1a1a1a1,b2b2b2b2b2b2" in done.stdout
