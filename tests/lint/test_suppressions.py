"""noqa comments and lint.ignore, applied at one place for every rule."""

from __future__ import annotations

import pytest

from manage_db.errors import ConfigError
from manage_db.lint.config import settings_from

GRANT = 'op.execute("GRANT ALL ON foo TO asterisk")'


def test_noqa_on_the_line_suppresses_only_that_code(tree):
    tree.revision(
        "a1",
        None,
        upgrade=f"{GRANT}  # manage-db: noqa: MDB101\n"
        "op.execute('DROP TABLE users')  # manage-db: noqa: MDB101",
    )
    assert tree.codes() == ["MDB507", "MDB510"]


def test_noqa_on_the_call_line_covers_a_multi_line_string(tree):
    tree.revision(
        "a1",
        None,
        upgrade='op.execute(  # manage-db: noqa: forbidden-statement\n    """\n'
        '    GRANT ALL ON foo TO asterisk\n"""\n)',
    )
    assert tree.codes() == []


def test_noqa_at_the_top_of_the_file_covers_the_whole_file(tree):
    tree.revision(
        "a1", None, header="# manage-db: noqa: MDB101, MDB301\n", upgrade=GRANT, downgrade="pass"
    )
    assert tree.codes() == []


def test_noqa_without_codes_suppresses_nothing(tree):
    tree.revision("a1", None, upgrade=f"{GRANT}  # manage-db: noqa")
    assert tree.codes() == ["MDB101"]


def test_noqa_in_a_sql_file(tree):
    tree.write(
        "sql/dump.sql",
        "-- manage-db: noqa: MDB501\nCREATE INDEX a ON users (x);\n"
        "GRANT ALL ON users TO asterisk; -- manage-db: noqa: MDB101\n"
        "REVOKE ALL ON users FROM public;\n",
    )
    assert [(f.code, f.line) for f in tree.lint().findings] == [("MDB510", 2), ("MDB101", 4)]


def test_config_ignore_accepts_codes_and_names(tree):
    tree.revision("a1", None, upgrade=GRANT, downgrade="pass")
    assert tree.codes({"ignore": ["mdb101", "missing-downgrade"]}) == []


def test_unknown_rule_in_config_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown rule 'MDB999'"):
        settings_from({"ignore": ["MDB999"]})
    with pytest.raises(ConfigError, match="downgrade_severity"):
        settings_from({"downgrade_severity": "fatal"})
