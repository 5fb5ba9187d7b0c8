"""MDB101: its findings, and what it leaves alone."""

from __future__ import annotations

import shutil

import pytest

from tests.lint.conftest import FIXTURES, TIMEOUT, only, position_of

GRANT = 'op.execute("GRANT ALL ON foo TO asterisk")'


def test_lower_case_grant_is_flagged_at_its_position(tree):
    path = tree.revision("a1", None, upgrade=TIMEOUT + 'op.execute("grant all on foo to asterisk")')
    (finding,) = only(tree.lint(), "MDB101")
    assert finding.severity == "error"
    assert "GRANT" in finding.message
    assert (finding.line, finding.col) == position_of(path, "grant all")
    assert finding.path == "alembic/versions/a1_change.py"


def test_grant_split_across_concatenated_strings_is_flagged(tree):
    path = tree.revision(
        "a1", None, upgrade='op.execute(\n    "GRANT SELECT "\n    "ON foo TO asterisk"\n)'
    )
    (finding,) = only(tree.lint(), "MDB101")
    assert (finding.line, finding.col) == position_of(path, "GRANT SELECT")


def test_grant_in_triple_quoted_string_is_located_on_its_line(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade='op.execute("""\n    CREATE TABLE foo (id int);\n'
        '    GRANT ALL ON foo TO asterisk;\n""")',
    )
    (finding,) = only(tree.lint(), "MDB101")
    assert (finding.line, finding.col) == position_of(path, "GRANT ALL")


def test_grant_inside_a_do_block_is_flagged(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade='''op.execute("""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x') THEN
    GRANT SELECT ON foo TO asterisk;
  END IF;
  EXECUTE 'REVOKE ALL ON foo FROM public';
END
$$;
""")''',
    )
    findings = only(tree.lint(), "MDB101")
    assert [(f.line, f.col) for f in findings] == [
        position_of(path, "GRANT SELECT"),
        position_of(path, "REVOKE ALL"),
    ]
    assert "REVOKE" in findings[1].message


def test_grant_in_a_function_body_is_flagged(tree):
    tree.revision(
        "a1",
        None,
        upgrade='''op.execute("""
CREATE FUNCTION fix() RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('ALTER TABLE %I OWNER TO asterisk', 'foo');
END
$f$;
""")''',
    )
    assert "OWNER TO" in only(tree.lint(), "MDB101")[0].message


def test_grant_in_a_baseline_sql_dump_is_flagged(tree):
    shutil.copy(FIXTURES / "baseline_with_grant.sql", tree.root / "baseline.sql")
    findings = only(tree.lint(), "MDB101")
    assert [(f.path, f.line) for f in findings] == [
        ("alembic/baseline.sql", 18),
        ("alembic/baseline.sql", 33),
    ]


def test_clean_baseline_dump_with_copy_data_has_no_findings(tree):
    shutil.copy(FIXTURES / "baseline_clean.sql", tree.root / "baseline.sql")
    assert tree.codes() == []


def test_grant_in_comments_and_string_literals_is_not_flagged(tree):
    tree.revision(
        "a1",
        None,
        upgrade='''# GRANT ALL ON foo TO asterisk
op.execute("""
-- GRANT ALL ON foo TO asterisk
/* GRANT ALL ON foo TO asterisk */
INSERT INTO notes (text) VALUES ('GRANT ALL ON foo TO asterisk');
""")''',
    )
    assert only(tree.lint(), "MDB101") == []


def test_module_level_constant_and_sa_text_are_followed(tree):
    path = tree.revision(
        "a1",
        None,
        body='GRANTS = "GRANT SELECT ON foo TO asterisk"\n',
        upgrade="conn = op.get_bind()\nconn.execute(sa.text(GRANTS))",
    )
    (finding,) = only(tree.lint(), "MDB101")
    assert (finding.line, finding.col) == position_of(path, "GRANT SELECT")  # where it is written


@pytest.mark.parametrize(
    "call",
    [
        'op.execute(f"GRANT ALL ON {table} TO asterisk")',
        'op.execute("GRANT ALL ON %s TO asterisk" % table)',
        'op.execute("GRANT ALL ON {} TO asterisk".format(table))',
        'op.get_bind().exec_driver_sql("GRANT ALL ON foo TO asterisk")',
        'op.execute(sa.DDL("GRANT ALL ON foo TO asterisk"))',
    ],
)
def test_built_strings_and_other_sql_calls_are_checked(tree, call):
    tree.revision("a1", None, upgrade=f'table = "foo"\n{call}')
    assert len(only(tree.lint(), "MDB101")) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "REVOKE ALL ON foo FROM public",
        "ALTER TABLE foo OWNER TO asterisk",
        "ALTER FUNCTION f() OWNER TO asterisk",
        "ALTER SEQUENCE s OWNER TO asterisk",
        "SET ROLE asterisk",
        "RESET ROLE",
        "SET SESSION AUTHORIZATION asterisk",
        "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO asterisk",
        "CREATE ROLE bob",
        "CREATE USER bob PASSWORD 'x'",
        "ALTER ROLE bob LOGIN",
        "ALTER USER bob SET search_path = x",
        "DROP ROLE bob",
        "GRANT admin TO bob",
    ],
)
def test_every_forbidden_statement_is_an_error(tree, sql):
    tree.revision("a1", None, upgrade=f"op.execute({sql!r})")
    assert [f.severity for f in only(tree.lint(), "MDB101")] == ["error"]


@pytest.mark.parametrize("sql", ["SET lock_timeout = '5s'", "CREATE TABLE foo (id int)"])
def test_ordinary_statements_are_not_forbidden(tree, sql):
    tree.revision("a1", None, upgrade=f"op.execute({sql!r})")
    assert only(tree.lint(), "MDB101") == []


def test_grant_in_downgrade_is_flagged_too(tree):
    path = tree.revision("a1", None, downgrade='op.execute("GRANT ALL ON foo TO asterisk")')
    assert only(tree.lint(), "MDB101")[0].line == position_of(path, "GRANT ALL")[0]
