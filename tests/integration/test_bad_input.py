"""Every bad input of issue 13 in one table: one prefixed line, its documented exit code, no
traceback and no password, whatever went wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from psycopg2 import sql

from pgtest import REPO, admin_execute, query, unique, with_db
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

    def names(self) -> tuple[str, str]:
        role, database = unique("t_bad"), unique("t_bad")
        self.cleanup(role=role)
        self.cleanup(database=database)
        return role, database

    def config(self, settings: dict) -> Path:
        path = self.tmp_path / "config.yml"
        settings = {"log_file": str(self.tmp_path / "tool.log"), "plugins": False, **settings}
        path.write_text(yaml.safe_dump(settings), encoding="utf-8")
        return path

    def component(self, revisions=(GOOD,), db_uri: str | None = None, **component) -> Path:
        role, database = self.names()
        location = make_tree(self.tmp_path / "tree", list(revisions), "alembic_version_bad")
        return self.config(
            {
                "db_uri": db_uri or with_db(self.admin_uri, database, role),
                "admin_uri": self.admin_uri,
                "components": {
                    "asterisk": {"enabled": False},
                    "demo": {
                        "script_location": str(location),
                        "database": database,
                        "owner": role,
                        "version_table": "alembic_version_bad",
                        **component,
                    },
                },
            }
        )

    def initialised(self, revisions=(GOOD,), **component) -> tuple[Path, str]:
        """A component whose role and database exist; returns its config and superuser URI."""
        config = self.component(revisions, **component)
        demo = yaml.safe_load(config.read_text())["components"]["demo"]
        admin_execute(
            self.admin_uri,
            sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(demo["owner"])),
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(demo["database"]), sql.Identifier(demo["owner"])
            ),
        )
        return config, with_db(self.admin_uri, demo["database"])


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
    # As root, -u root keeps the process where it is (the default user may not exist here).
    if global_options is None:
        global_options = []
    elif os.geteuid() == 0 and "-u" not in global_options:
        global_options = ["-u", "root", *global_options]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "ALEMBIC_"))}
    env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "manage_db", *global_options, "-c", str(config), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,  # a hang guard, not a measure
    )


@pytest.mark.parametrize(
    ("case", "global_options", "args", "code", "message"),
    CASES,
    ids=[f"{c[0].__name__}-{c[2][0]}" for c in CASES],
)
def test_bad_input_is_one_line_and_its_exit_code(
    case, global_options, args, code, message, tmp_path, pg_admin_uri, cleanup
):
    if (global_options is None or "-u" in global_options) and os.geteuid() != 0:
        pytest.skip("the user to run as is only looked up when started as root")
    config = case(Setup(tmp_path, pg_admin_uri, cleanup))
    done = _run(config, global_options, args, tmp_path)
    assert done.returncode == code, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("wazo-manage-db: "), lines
    assert message in lines[0]
    assert "Traceback" not in done.stderr
    log = tmp_path / "tool.log"
    for text in (done.stdout, done.stderr, log.read_text() if log.exists() else ""):
        assert SECRET not in text


def test_a_name_over_63_bytes_creates_nothing(tmp_path, pg_admin_uri, cleanup):
    setup = Setup(tmp_path, pg_admin_uri, cleanup)
    config = setup.component(database="d" * 64)
    demo = yaml.safe_load(config.read_text())["components"]["demo"]
    assert _run(config, [], ["init"], tmp_path).returncode == 2
    assert query(pg_admin_uri, "SELECT 1 FROM pg_roles WHERE rolname = %s", demo["owner"]) == []
    assert query(pg_admin_uri, "SELECT 1 FROM pg_database WHERE datname LIKE 'ddd%%'") == []


def test_a_two_head_upgrade_applies_both_heads(tmp_path, pg_admin_uri, cleanup):
    setup = Setup(tmp_path, pg_admin_uri, cleanup)
    config = two_heads(setup)
    assert _run(config, [], ["upgrade"], tmp_path).returncode == 0
    done = _run(config, [], ["status"], tmp_path)
    assert done.returncode == 0, done
    assert "a1a1a1a1a1a1,b2b2b2b2b2b2" in done.stdout
