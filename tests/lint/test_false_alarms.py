"""What real trees write that is not a problem: lint says nothing about it (issue 20, item 4).

Each idiom is written as an alembic tree of our own; the true finding next to it is still
reported, so that the test fails if a rule goes blind rather than quiet.
"""

from __future__ import annotations

from tests.lint.conftest import TIMEOUT, only, position_of

CREATE_CONCURRENTLY = "op.execute('CREATE INDEX CONCURRENTLY ix_users_name ON users (name)')"
DROP_CONCURRENTLY = "op.execute('DROP INDEX CONCURRENTLY ix_users_name')"


def _in_autocommit_block(call: str) -> str:
    return f"with op.get_context().autocommit_block():\n    {call}"


def test_concurrently_in_an_autocommit_block_of_downgrade_is_fine(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + _in_autocommit_block(CREATE_CONCURRENTLY),
        downgrade=_in_autocommit_block(DROP_CONCURRENTLY),
    )
    assert tree.codes() == []


def test_concurrently_in_downgrade_outside_a_block_is_still_an_error(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + _in_autocommit_block(CREATE_CONCURRENTLY),
        downgrade="op.execute('SELECT 1')\n" + DROP_CONCURRENTLY,
    )
    (finding,) = only(tree.lint(), "MDB509")
    assert (finding.line, finding.severity) == (position_of(path, "DROP INDEX")[0], "error")
    assert "DROP INDEX CONCURRENTLY" in finding.message


def test_downgrade_after_an_autocommit_block_is_in_a_transaction_again(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + _in_autocommit_block(CREATE_CONCURRENTLY),
        downgrade=_in_autocommit_block("op.execute('SELECT 1')") + "\n" + DROP_CONCURRENTLY,
    )
    assert [f.code for f in tree.lint().findings] == ["MDB509"]


def test_concurrently_after_a_commit_in_downgrade_is_fine(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + _in_autocommit_block(CREATE_CONCURRENTLY),
        downgrade="op.execute('COMMIT')\n" + DROP_CONCURRENTLY,
    )
    assert tree.codes() == []


def test_driver_placeholders_with_parameters_are_not_syntax_errors(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "conn = op.get_bind()\n"
        + "conn.execute('UPDATE users SET name = %s WHERE id = %s', ('x', 1))\n"
        + "conn.execute(\n"
        + "    'INSERT INTO infos (uuid, version) VALUES (%(uuid)s, %(version)s)',\n"
        + "    {'uuid': 'u', 'version': '1'},\n"
        + ")\n"
        + "conn.execute(\"UPDATE users SET name = 'a%%' WHERE name LIKE %s\", ('b',))",
    )
    assert tree.codes() == []


def test_placeholders_without_parameters_are_still_a_syntax_error(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT + "op.get_bind().execute('UPDATE users SET name = %s WHERE id = 1')",
    )
    assert tree.codes() == ["MDB001"]


def test_placeholders_still_show_a_grant(tree):
    tree.revision(
        "a1", None, upgrade=TIMEOUT + "op.get_bind().execute('GRANT ALL ON %(t)s TO x', {'t': 1})"
    )
    assert tree.codes() == ["MDB101"]


def test_another_dialects_branch_is_not_read_as_postgresql(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "bind = op.get_bind()\n"
        + "if bind.dialect.name == 'sqlite':\n"
        + "    op.execute('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)')\n"
        + "else:\n"
        + "    op.execute('CREATE TABLE t (id serial PRIMARY KEY)')\n"
        + "if op.get_bind().dialect.name != 'postgresql':\n"
        + "    op.execute('PRAGMA foreign_keys=OFF')\n"
        + "dialect = op.get_context().dialect.name\n"
        + "if dialect in ('mysql', 'sqlite'):\n"
        + "    op.execute('ALTER TABLE t MODIFY id INT AUTO_INCREMENT')\n"
        + "if dialect == 'postgresql':\n"
        + "    op.execute('GRANT ALL ON t TO x')\n"
        + "else:\n"
        + "    op.execute('SET FOREIGN_KEY_CHECKS=0')",
        downgrade="if op.get_bind().dialect.name == 'mysql':\n"
        "    op.execute('DROP TABLE t CASCADE CONSTRAINTS PURGE')\n"
        "else:\n"
        "    op.execute('DROP TABLE t')",
    )
    # the PostgreSQL branches are still read: the GRANT is found, nothing else is reported
    assert tree.codes() == ["MDB101"]


DATE_FIRST = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"


def _with_ini(tree, template: str) -> None:
    tree.root.parent.joinpath("alembic.ini").write_text(
        f"[alembic]\nscript_location = %(here)s/alembic\nfile_template = {template}\n"
    )


def test_file_names_that_fit_the_trees_file_template_are_fine(tree):
    _with_ini(tree, DATE_FIRST)
    tree.revision("3f2a1b0c9d8e", None, filename="2024_03_01_0912-3f2a1b0c9d8e_create_users.py")
    tree.revision("0a1b2c3d_x", "3f2a1b0c9d8e", filename="2024_03_02_1000-0a1b2c3d_x_rename.py")
    assert tree.codes() == []


def test_a_file_name_without_its_id_where_the_template_puts_it_is_reported(tree):
    _with_ini(tree, DATE_FIRST)
    tree.revision("3f2a1b0c9d8e", None, filename="2024_03_01_0912-3f2a1b0c9d8e_create_users.py")
    tree.revision("4b", "3f2a1b0c9d8e", filename="2024_03_02_1000-5c_wrong_id.py")
    tree.revision("6d", "4b", filename="2024_03_02b-6d.py")  # edited by hand: its id is there
    tree.revision("7e", "6d", filename="7e_no_date.py")  # named the default way: found by its id
    (finding,) = only(tree.lint(), "MDB201")
    assert (finding.path, finding.line) == ("alembic/versions/2024_03_02_1000-5c_wrong_id.py", 5)
    assert "file_template" in finding.message and "4b" in finding.message


def test_a_template_without_the_revision_id_names_files_any_way(tree):
    _with_ini(tree, "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    tree.revision("3f2a1b0c9d8e", None, filename="2024-03-01_create_users.py")
    assert tree.codes() == []


def test_without_a_template_a_name_without_its_id_is_still_reported(tree):
    tree.root.parent.joinpath("alembic.ini").write_text("[alembic]\nscript_location = alembic\n")
    tree.revision("3f2a1b0c9d8e", None, filename="create_users.py")
    (finding,) = tree.lint().findings
    assert finding.message == "file name does not start with its revision id 3f2a1b0c9d8e"


def test_the_template_of_the_ini_section_naming_the_tree_is_used(tree):
    """An ini a few folders up, one section per tree, the tree named as package resources."""
    package = tree.root.parent / "src" / "app"
    package.mkdir(parents=True)
    tree.root.rename(package / "alembic")
    tree.root = package / "alembic"
    (package.parent / "alembic.ini").write_text(
        "[alembic]\nfile_template = %%(rev)s_%%(slug)s\n\n"
        "[core]\nscript_location = app:alembic\nfile_template = %%(year)d-%%(rev)s\n"
    )
    tree.revision("3f2a1b0c9d8e", None, filename="2021-3f2a1b0c9d8e.py")
    tree.revision("4b", "3f2a1b0c9d8e", filename="2021-5c.py")
    (finding,) = tree.lint().findings
    assert finding.path.endswith("2021-5c.py") and "%(year)d-%(rev)s" in finding.message


def test_a_call_that_emitted_nothing_offline_and_cannot_be_read_is_not_checked(tree):
    path = tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "conn = op.get_bind()\n"
        + "for row in conn.execute(sa.text('SELECT name FROM tables_to_widen')):\n"
        + "    statement = 'ALTER TABLE ' + row[0] + ' ADD COLUMN x int'\n"
        + "    op.execute(statement)",
    )
    report = tree.lint()
    (finding,) = report.findings
    assert (finding.code, finding.severity) == ("MDB601", "info")
    assert (finding.line, finding.col) == position_of(path, "op.execute(statement)")
    assert (report.revisions, report.revisions_seen) == (1, 0)


def test_a_revision_that_cannot_render_is_not_counted_as_seen_for_helpers_it_imports(tree):
    path = tree.revision(
        "a1",
        None,
        header="from wazo_no_such_package.migration_helpers import widen_tables\n",
        upgrade=TIMEOUT + "widen_tables(op)\nop.add_column('users', sa.Column('x', sa.Integer))",
    )
    tree.revision("b2", "a1", upgrade=TIMEOUT + "op.add_column('lines', sa.Column('y', sa.Text))")
    report = tree.lint()
    (finding,) = only(report, "MDB601")
    assert (finding.line, finding.col) == position_of(path, "widen_tables(op)")
    assert "wazo_no_such_package.migration_helpers" in finding.message
    assert "ModuleNotFoundError" in finding.message
    # the op.* call of that revision is still read from the source and checked
    assert [f.code for f in report.findings if f.path.endswith(path.name)] == ["MDB601"]
    assert (report.revisions, report.revisions_seen) == (2, 1)


def test_a_plain_string_executed_with_named_parameters_is_not_a_syntax_error(tree):
    tree.revision(
        "a1",
        None,
        upgrade=TIMEOUT
        + "session = sa.orm.Session(bind=op.get_bind())\n"
        + "session.execute('UPDATE users SET name = :name WHERE id = :id', {'name': 'a', 'id': 1})",
    )
    assert tree.codes() == []


def test_a_dialect_compared_with_a_module_constant(tree):
    tree.revision(
        "a1",
        None,
        body="MYSQL_ENGINE = 'mysql'\n",
        upgrade=TIMEOUT
        + "engine = op.get_bind().engine\n"
        + "if engine.name == MYSQL_ENGINE:\n"
        + "    op.execute('ALTER TABLE lines DROP PRIMARY KEY, ADD PRIMARY KEY(id, host)')\n"
        + "else:\n"
        + "    op.execute('GRANT ALL ON lines TO x')",
    )
    assert tree.codes() == ["MDB101"]


def test_one_head_per_labelled_branch_is_fine(tree):
    tree.revision("a1", None)
    tree.revision("e1", "a1", body="branch_labels = (EXPAND,)\n", header="EXPAND = 'expand'\n")
    tree.revision("e2", "e1")
    tree.revision("c1", "a1", body="branch_labels = ('contract',)\n")
    assert tree.codes() == []


def test_two_heads_on_one_labelled_branch_are_still_reported(tree):
    tree.revision("a1", None)
    tree.revision("e1", "a1", body="branch_labels = ('expand',)\n")
    tree.revision("e2", "e1")
    tree.revision("e3", "e1")
    tree.revision("c1", "a1", body="branch_labels = ('contract',)\n")
    assert tree.codes() == ["MDB201"] * 3


def test_a_version_location_per_dialect_is_linted_as_a_tree_of_its_own(tree):
    """versions/postgresql and versions/sqlite, the template in an ini naming the tree its way."""
    tree.root.parent.joinpath("alembic.ini").write_text(
        "[alembic]\nscript_location = app:server:migrations\n"
        "file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s\n"
    )
    tree.write(
        "versions/sqlite/2022_07_11_638cbcc2a158_add.py",
        "from alembic import op\nrevision = '638cbcc2a158'\ndown_revision = None\n\n"
        "def upgrade():\n    op.execute('PRAGMA foreign_keys=OFF')\n\n"
        "def downgrade():\n    op.execute('PRAGMA foreign_keys=ON')\n",
    )
    tree.write(
        "versions/postgresql/2022_07_11_3f2a1b0c9d8e_add.py",
        "from alembic import op\nrevision = '3f2a1b0c9d8e'\ndown_revision = None\n\n"
        "def upgrade():\n    op.execute('CREATE TABLE t (id int)')\n\n"
        "def downgrade():\n    op.execute('DROP TABLE t')\n",
    )
    report = tree.lint(path=tree.root / "versions" / "postgresql")
    assert (report.findings, report.revisions) == ([], 1)
    # the whole tree: the other database's history is not read as PostgreSQL's
    report = tree.lint()
    assert (report.findings, report.revisions) == ([], 1)


def test_the_file_template_of_pyproject_toml_is_used(tree):
    tree.root.parent.joinpath("pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "alembic"\n'
        'file_template = "%%(year)d_%%(month).2d_%%(rev)s"\n'
    )
    tree.revision("3f2a1b0c9d8e", None, filename="2024_03_3f2a1b0c9d8e.py")
    tree.revision("4b", "3f2a1b0c9d8e", filename="2024_03_5c.py")
    (finding,) = tree.lint().findings
    assert finding.path.endswith("2024_03_5c.py") and "file_template" in finding.message
