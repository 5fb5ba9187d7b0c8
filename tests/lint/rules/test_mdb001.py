"""MDB001: its findings, and what it leaves alone."""

from __future__ import annotations

import shutil

from tests.lint.conftest import FIXTURES, TIMEOUT, only, position_of

GRANT = 'op.execute("GRANT ALL ON foo TO asterisk")'


def test_text_bind_parameters_and_casts_parse(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.execute(sa.text(\"UPDATE infos SET v = :version::text, w = 'a:b'\")"
        '.bindparams(version="1"))\n'
        'op.get_bind().exec_driver_sql("GRANT ALL ON foo TO %s", ("x",))',
    )
    codes = [f.code for f in tree.lint().findings]
    assert codes.count("MDB101") == 1 and "MDB001" not in codes


def test_text_used_as_an_expression_is_not_a_syntax_error(tree):
    tree.revision(
        "a1",
        None,
        upgrade="op.create_table('t', sa.Column('at', sa.DateTime,"
        " server_default=sa.text('now()')))\n"
        "op.execute(sa.text('SELEC 1'))",
    )
    assert [f.code for f in tree.lint().findings] == ["MDB001"]


def test_python_that_does_not_parse_is_a_finding_not_a_crash(tree):
    tree.revision("a1", None)
    tree.write("versions/b2_broken.py", "revision = 'b2'\ndown_revision = 'a1'\ndef upgrade(:\n")
    findings = only(tree.lint(), "MDB001")
    assert [(f.path, f.line, f.severity) for f in findings] == [
        ("alembic/versions/b2_broken.py", 3, "error")
    ]


def test_sql_that_does_not_parse_is_located(tree):
    path = tree.revision("a1", None, upgrade='op.execute("CREATE TABLE foo (id int);\\nSELEC 1")')
    (finding,) = only(tree.lint(), "MDB001")
    assert "syntax error" in finding.message
    assert finding.line == position_of(path, "SELEC")[0]


def test_broken_sql_file_is_a_finding(tree):
    tree.write("sql/dump.sql", "CREATE TABLE foo (id int);\n\nCREATE TABLE bar (;\n")
    (finding,) = only(tree.lint(), "MDB001")
    assert (finding.path, finding.line) == ("alembic/sql/dump.sql", 3)


def test_broken_plpgsql_body_is_a_finding(tree):
    tree.revision("a1", None, upgrade='op.execute("DO $$ BEGIN frobnicate; END $$")')
    assert "PL/pgSQL" in only(tree.lint(), "MDB001")[0].message


def test_accented_text_before_a_plpgsql_function_is_no_syntax_error(tree):
    shutil.copy(FIXTURES / "baseline_accented.sql", tree.root / "baseline.sql")
    findings = tree.lint().findings
    assert [(f.code, f.line, f.col) for f in findings] == [
        ("MDB101", 32, 5),  # inside the function body, after the accented lines
        ("MDB101", 38, 1),
        ("MDB101", 39, 1),
    ]


def test_positions_after_accented_text_in_a_revision_count_characters(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + "op.execute(\"UPDATE t SET label = 'été à Noël'; GRANT ALL ON t TO x\")",
    )
    (finding,) = tree.lint().findings
    assert (finding.code, finding.line, finding.col) == ("MDB101", *position_of(path, "GRANT"))


def test_accented_text_before_a_syntax_error_locates_it(tree):
    tree.write("sql/dump.sql", "-- reçu, été\nSELECT 'déjà' ;\nSELECT 'é' FROM;\n")
    (finding,) = only(tree.lint(), "MDB001")
    assert (finding.line, finding.col) == (3, 16)


def test_a_function_body_that_does_not_parse_hides_no_other_finding_of_the_file(tree):
    tree.write(
        "sql/dump.sql",
        """
        CREATE FUNCTION f() RETURNS void AS $$ BEGIN frobnicate; END $$ LANGUAGE plpgsql;
        GRANT ALL ON t TO asterisk;
        """,
    )
    assert [(f.code, f.line) for f in tree.lint().findings] == [("MDB001", 2), ("MDB101", 3)]


def test_a_field_of_a_composite_variable_is_no_syntax_error(tree):
    # Assigning a field of a composite-typed parameter is valid PL/pgSQL (the server accepts
    # it); only the catalog knows the type's fields, so the parser cannot say otherwise.
    tree.write(
        "sql/dump.sql",
        """
        CREATE TYPE tsstate AS (tokens text[], n int);
        CREATE FUNCTION step(state tsstate, token text) RETURNS tsstate AS $$
        BEGIN
            state.tokens := array_append(state.tokens, token);
            RETURN state;
        END $$ LANGUAGE plpgsql;
        CREATE FUNCTION g() RETURNS void AS $$ BEGIN undeclared := 1; END $$ LANGUAGE plpgsql;
        """,
    )
    findings = only(tree.lint(), "MDB001")
    assert [(f.line, "undeclared" in f.message) for f in findings] == [(8, True)]
