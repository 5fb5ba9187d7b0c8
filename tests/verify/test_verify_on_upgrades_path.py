"""verify runs revisions the way upgrade does: through the tree's env.py, with upgrade's session
settings, each step as independent as a separate alembic command (issues 19 and 20)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from manage_db.services.verify import VerifyOptions, VerifyTarget, verify_tree
from manage_db.timeouts import SessionTimeouts
from pgtest import write_revision

VERSION_TABLE = "alembic_version_fixture"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"

MARKER_ENV = """
import os

from alembic import context
from sqlalchemy import create_engine, pool, text

VERSION_TABLE = "alembic_version_fixture"


def run_migrations_online():
    url = os.environ["ALEMBIC_DB_URI"]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        settings = [
            connection.execute(text(f"SHOW {name}")).scalar()
            for name in ("lock_timeout", "synchronous_commit")
        ]
        if hasattr(connection, "commit"):  # SQLAlchemy 2.x
            connection.commit()
        with open(os.environ["VERIFY_MARKER"], "a") as marker:
            marker.write(" ".join(["env.py ran", *settings]) + "\\n")
        context.configure(
            connection=connection, version_table=VERSION_TABLE, transaction_per_migration=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
"""

ENUM_TABLE = """
import sqlalchemy as sa
op.create_table(
    "feeling",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mood", sa.Enum("calm", "busy", name="mood"), nullable=False),
)
"""
ENUM_TABLE_DROPPED = 'op.drop_table("feeling")\nop.execute("DROP TYPE mood")'
NEXT = ('op.add_column("feeling", sa.Column("note", sa.Text))', 'op.drop_column("feeling", "note")')


def tree_with(tmp_path: Path, revisions, env: str | None = None) -> Path:
    """A tree of ``revisions`` (id, down, upgrade body, downgrade body) under the clean
    fixture's env.py, or ``env``."""
    location = tmp_path / "tree"
    (location / "versions").mkdir(parents=True)
    if env is None:
        shutil.copy(FIXTURES / "clean" / "env.py", location / "env.py")
    else:
        (location / "env.py").write_text(env)
    for revision in revisions:
        write_revision(location, *revision)
    return location


def verify(location: Path, admin_uri: str, **options):
    target = VerifyTarget("demo", location, VERSION_TABLE)
    return verify_tree(target, admin_uri, VerifyOptions(**options))


def test_verify_runs_the_trees_env_py_with_upgrades_session_settings(
    tmp_path, pg_admin_uri, monkeypatch
):
    marker = tmp_path / "marker"
    monkeypatch.setenv("VERIFY_MARKER", str(marker))
    location = tree_with(
        tmp_path,
        [("f1f1f1f1f1f1", None, 'op.execute("CREATE TABLE t (id int)")', 'op.drop_table("t")')],
        env=MARKER_ENV,
    )
    report = verify(location, pg_admin_uri, timeouts=SessionTimeouts(lock_timeout=7))
    assert report.clean, report.defects
    # One env.py session per throwaway database; upgrade's lock_timeout and asynchronous commits.
    assert marker.read_text().splitlines() == ["env.py ran 7s off"]


def test_an_enum_type_created_by_create_table_round_trips(tmp_path, pg_admin_uri):
    location = tree_with(
        tmp_path,
        [
            ("e1e1e1e1e1e1", None, ENUM_TABLE, ENUM_TABLE_DROPPED),
            ("e2e2e2e2e2e2", "e1e1e1e1e1e1", "import sqlalchemy as sa\n" + NEXT[0], NEXT[1]),
        ],
    )
    report = verify(location, pg_admin_uri)
    assert report.defects == []
    assert report.clean and report.checked == 2


def test_a_downgrade_that_leaves_the_enum_type_behind_is_reported(tmp_path, pg_admin_uri):
    location = tree_with(
        tmp_path,
        [
            ("e1e1e1e1e1e1", None, ENUM_TABLE, 'op.drop_table("feeling")'),
            ("e2e2e2e2e2e2", "e1e1e1e1e1e1", "import sqlalchemy as sa\n" + NEXT[0], NEXT[1]),
        ],
    )
    report = verify(location, pg_admin_uri)
    downgrade, reupgrade = report.defects
    assert (downgrade.revision, downgrade.step) == ("e1e1e1e1e1e1", "downgrade")
    assert [str(d) for d in downgrade.differences] == ["enum public.mood: extra"]
    # As `alembic upgrade` after `alembic downgrade` fails on it.
    assert (reupgrade.revision, reupgrade.step) == ("e1e1e1e1e1e1", "re-upgrade")
    assert 'type "mood" already exists' in reupgrade.message
    assert report.checked == 2  # rebuilt at e1e1e1e1e1e1, the walk went on


def test_state_a_revision_keeps_at_module_level_does_not_carry_to_the_next_step(
    tmp_path, pg_admin_uri
):
    # A second import of the file, as a second alembic command would make, starts afresh.
    module_state = """
    import sqlalchemy as sa
    sa.Table("kept", META, sa.Column("id", sa.Integer, primary_key=True))
    op.create_table("kept", sa.Column("id", sa.Integer, primary_key=True))
    """
    location = tree_with(tmp_path, [("d1d1d1d1d1d1", None, module_state, 'op.drop_table("kept")')])
    path = next((location / "versions").glob("d1d1d1d1d1d1*.py"))
    path.write_text(
        path.read_text().replace(
            "from alembic import op\n",
            "from alembic import op\nimport sqlalchemy\nMETA = sqlalchemy.MetaData()\n",
        )
    )
    report = verify(location, pg_admin_uri)
    assert report.defects == [] and report.clean


def test_what_a_revision_prints_stays_out_of_verify_json(tmp_path, pg_admin_uri, run_cli):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify as verify_command

    if "verify" not in cli.commands:
        cli.add_command(verify_command)
    location = tree_with(
        tmp_path,
        [
            (
                "c1c1c1c1c1c1",
                None,
                'print("hello from upgrade")\nop.execute("CREATE TABLE t (id int)")',
                'print("hello from downgrade")\nop.drop_table("t")',
            )
        ],
    )
    path = next((location / "versions").glob("c1c1c1c1c1c1*.py"))
    path.write_text(path.read_text() + '\nprint("hello from the import")\n')
    result = run_cli(
        "verify", "--script-location", str(location), "--version-table", VERSION_TABLE,
        "--admin-uri", pg_admin_uri, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result
    (report,) = json.loads(result.stdout)
    assert report["clean"] is True
    assert "hello from upgrade" in result.stderr and "hello from downgrade" in result.stderr
    assert "hello from the import" in result.stderr


@pytest.mark.parametrize("missing", ["downgrade"])
def test_a_revision_without_a_downgrade_function_is_a_defect_naming_it(
    tmp_path, pg_admin_uri, missing
):
    location = tree_with(
        tmp_path, [("b1b1b1b1b1b1", None, 'op.execute("CREATE TABLE t (id int)")', "pass")]
    )
    path = next((location / "versions").glob("b1b1b1b1b1b1*.py"))
    path.write_text(path.read_text().split(f"\n\ndef {missing}():")[0] + "\n")
    report = verify(location, pg_admin_uri)
    (defect,) = report.defects
    assert (defect.revision, defect.step) == ("b1b1b1b1b1b1", "downgrade")
    assert f"revision b1b1b1b1b1b1 ({path}) has no {missing}() function" in defect.message


def test_an_env_py_declaring_another_version_table_is_a_tree_error(tmp_path, pg_admin_uri, run_cli):
    from manage_db.cli import cli
    from manage_db.commands.verify import verify as verify_command

    if "verify" not in cli.commands:
        cli.add_command(verify_command)
    location = tree_with(
        tmp_path,
        [("a1a1a1a1a1a1", None, 'op.execute("CREATE TABLE t (id int)")', 'op.drop_table("t")')],
    )
    result = run_cli(
        "verify", "--script-location", str(location), "--version-table", "alembic_version_other",
        "--admin-uri", pg_admin_uri,
    )  # fmt: skip
    assert result.exit_code == 6, result
    assert result.stderr.strip().splitlines() == [
        f"wazo-manage-db: tree: {location}/env.py uses version table 'alembic_version_fixture' "
        "but the component is configured with 'alembic_version_other'"
    ]


FAILING_ENV = """
from alembic import context


def target_metadata():
    raise ImportError("the daemon's models do not import")


context.configure(url="postgresql://", target_metadata=target_metadata())
"""


def test_an_env_py_failing_before_configure_is_the_first_revisions_defect(tmp_path, pg_admin_uri):
    # As upgrade reports it: env.py's error, no traceback (wazo-chatd's env.py imports its models
    # for target_metadata, and they do not import on SQLAlchemy 2.1).
    location = tree_with(
        tmp_path,
        [
            ("c1c1c1c1c1c1", None, 'op.execute("CREATE TABLE t (id int)")', 'op.drop_table("t")'),
            ("c2c2c2c2c2c2", "c1c1c1c1c1c1", "pass", "pass"),
        ],
        env=FAILING_ENV,
    )
    report = verify(location, pg_admin_uri)
    assert not report.clean and report.checked == 0
    assert [(d.revision, d.step, d.message) for d in report.defects][0] == (
        "c1c1c1c1c1c1",
        "upgrade",
        "upgrade failed: ImportError: the daemon's models do not import",
    )
