"""manage_db.runtime.compat (the private alembic API the runtime and verify use) and
manage_db.runtime.stepping (verify's single steps through env.py), on the installed alembic.

Run on both stacks (alembic 1.8.1 in .venv-debian, 1.20 in .venv): each entry point is used
as verify uses it, against a real database.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from manage_db.errors import TreeError
from manage_db.models import Component
from manage_db.runtime.adapter import MigrationTree
from manage_db.runtime.compat import (
    ContextTemplate,
    downgrade_steps,
    load_tree,
    stamp_steps,
    upgrade_steps,
)
from manage_db.runtime.stepping import RevisionSteps, open_steps

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"
VERSION_TABLE = "alembic_version_fixture"


def rows(uri: str, query: str) -> list[tuple]:
    connection = psycopg2.connect(uri)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            found = cursor.fetchall()
        connection.commit()
        return found
    finally:
        connection.close()


def versions(uri: str) -> list[str]:
    return sorted(r[0] for r in rows(uri, f"SELECT version_num FROM {VERSION_TABLE}"))


def steps(case: str, uri: str) -> RevisionSteps:
    """Single steps of a fixture tree on the database behind ``uri``, through its env.py."""
    location = FIXTURES / case
    component = Component(case, location, "", "", version_table=VERSION_TABLE)
    return open_steps(MigrationTree.load(component, None), uri)


def tables(uri: str) -> list[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    return [r[0] for r in rows(uri, query) if r[0] != VERSION_TABLE]


def test_tree_lists_revisions_base_first_with_their_parents_and_modules():
    tree = load_tree(FIXTURES / "merged_branches")
    assert tree.revisions[0] == "m1000000base" and tree.revisions[-1] == "m4000000merg"
    assert tree.heads == ("m4000000merg",)
    assert tree.parents("m1000000base") == ()
    assert tree.parents("m4000000merg") == ("m2000000left", "m3000000rght")
    assert tree.resolve("m4000") == "m4000000merg"
    assert tree.resolve("nope") is None
    assert tree.module("m2000000left").revision == "m2000000left"


def test_step_lists_are_the_ones_alembic_upgrade_downgrade_and_stamp_compute():
    script = load_tree(FIXTURES / "merged_branches").script
    up = [(step.revision.revision, step.is_upgrade) for step in upgrade_steps(script, "heads", ())]
    assert up[0] == ("m1000000base", True) and up[-1] == ("m4000000merg", True)
    assert sorted(up[1:3]) == [("m2000000left", True), ("m3000000rght", True)]
    steps = downgrade_steps(script, "m1000000base", ("m4000000merg",))
    down = [(step.revision.revision, step.is_upgrade) for step in steps]
    assert down[0] == ("m4000000merg", False)
    assert sorted(down[1:]) == [("m2000000left", False), ("m3000000rght", False)]
    (stamp,) = stamp_steps(script, ("m2000000left",), ())
    assert stamp.to_revisions == ("m2000000left",) and stamp.from_revisions == ()


def test_a_directory_without_versions_is_a_tree_error(tmp_path):
    with pytest.raises(TreeError, match="not an alembic script directory"):
        load_tree(tmp_path)


def test_a_revision_file_that_does_not_import_is_a_tree_error(tmp_path):
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "broken.py").write_text("revision = 'x'\nimport nowhere_to_be_found\n")
    with pytest.raises(TreeError, match="cannot load the revisions"):
        load_tree(tmp_path)


def test_steps_move_the_version_table_one_revision_at_a_time(throwaway_db):
    uri = throwaway_db()
    with steps("clean", uri) as runner:
        runner.upgrade("a1000000base")
        assert versions(uri) == ["a1000000base"]
        runner.upgrade("a2000000idx")
        assert versions(uri) == ["a2000000idx"]
        runner.downgrade("a2000000idx")
        assert versions(uri) == ["a1000000base"]
        runner.downgrade("a1000000base")
        assert versions(uri) == [] and tables(uri) == []


def test_a_merge_and_its_branches_move_the_heads_as_alembic_does(throwaway_db):
    uri = throwaway_db()
    with steps("merged_branches", uri) as runner:
        runner.upgrade_through(["m1000000base", "m2000000left", "m3000000rght"])
        assert versions(uri) == ["m2000000left", "m3000000rght"]
        runner.upgrade("m4000000merg")
        assert versions(uri) == ["m4000000merg"]
        runner.downgrade("m4000000merg")
        assert versions(uri) == ["m2000000left", "m3000000rght"]


def test_a_failing_step_is_rolled_back_alone(throwaway_db):
    uri = throwaway_db()
    with steps("history", uri) as runner:
        runner.upgrade_through(["h1000000base", "h2000000tag", "h3000000swap"])
        runner.downgrade("h3000000swap")  # recreates memo, not note
        with pytest.raises(Exception, match='table "note" does not exist'):
            runner.upgrade("h3000000swap")
        # the earlier steps stay applied; the failed one left nothing
        assert versions(uri) == ["h2000000tag"]
        assert tables(uri) == ["account", "contact", "memo", "tag"]


def test_alembic_op_points_at_no_step_between_steps(throwaway_db):
    from alembic import op

    uri = throwaway_db()
    with steps("clean", uri) as runner:
        runner.upgrade("a1000000base")
        with pytest.raises((NameError, AttributeError)):  # no context: alembic has none to give
            op.get_bind()


def test_a_version_row_changed_behind_the_runner_stops_the_step(throwaway_db):
    uri = throwaway_db()
    with steps("clean", uri) as runner:
        runner.upgrade_through(["a1000000base", "a2000000idx"])
        rows(uri, f"UPDATE {VERSION_TABLE} SET version_num = 'elsewhere' RETURNING 1")
        # The runner knows what it wrote and moves the version table from there, as alembic's
        # own checked one-row write: a row changed behind it fails the step.
        with pytest.raises(Exception, match="expected to match one row when updating"):
            runner.downgrade("a2000000idx")
        # the downgrade was rolled back with its failed version write
        assert "contact_name_idx" in str(rows(uri, "SELECT indexname FROM pg_indexes"))


def test_a_job_runs_on_env_py_thread_and_its_steps_there(throwaway_db):
    import threading

    uri = throwaway_db()
    with steps("clean", uri) as runner:

        def job() -> str:
            runner.upgrade("a1000000base")
            runner.upgrade("a2000000idx")
            runner.downgrade("a2000000idx")
            return threading.current_thread().name

        thread = runner.run(job)
        assert thread != threading.current_thread().name
        assert versions(uri) == ["a1000000base"]
        with pytest.raises(Exception, match='relation "nowhere" does not exist'):
            runner.run(lambda: rows(uri, "SELECT 1 FROM nowhere"))
        runner.upgrade("a2000000idx")  # the session goes on after a job's error
        assert versions(uri) == ["a2000000idx"]


def test_a_renewed_migration_context_is_the_one_configure_makes_again(throwaway_db):
    """A session's later command gets what env.py's configure() would make again: the same
    attributes and values, a new impl (no memo of the first command's enum types), no
    transaction."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from sqlalchemy import create_engine
    from sqlalchemy.schema import CreateTable

    from manage_db.runtime.session import sqlalchemy_url

    environment = EnvironmentContext(Config(), load_tree(FIXTURES / "clean").script)
    engine = create_engine(sqlalchemy_url(throwaway_db()))
    options = {"version_table": VERSION_TABLE, "transaction_per_migration": True}
    try:
        with engine.connect() as connection:
            environment.configure(connection=connection, **options)
            first = environment.get_context()
            template = ContextTemplate(first)
            first.impl.memo["an enum type"] = True  # what the first command's steps left
            first.get_current_heads = lambda: ("elsewhere",)
            environment.configure(connection=connection, **options)
            again = environment.get_context()
            renewed = template.renewed(environment, connection)
            assert environment.get_context() is renewed
            assert sorted(vars(renewed)) == sorted(vars(again))
            for name, value in vars(again).items():
                if name == "impl":
                    assert type(renewed.impl) is type(value) and renewed.impl is not first.impl
                    assert vars(renewed.impl) == vars(value) and renewed.impl.memo == {}
                elif name == "_version":
                    create = CreateTable(renewed._version).compile(dialect=connection.dialect)
                    assert str(create) == str(
                        CreateTable(value).compile(dialect=connection.dialect)
                    )
                else:
                    assert getattr(renewed, name) == value, name
            assert renewed.get_current_heads() == ()
    finally:
        engine.dispose()


def test_a_job_left_running_by_close_stops_at_its_next_step(throwaway_db):
    """An interrupted caller closes the steps while its job runs on env.py's thread: the job's
    next step is refused there (StepsClosed), nothing applied, no session started again."""
    import threading

    from manage_db.runtime.stepping import StepsClosed

    uri = throwaway_db()
    runner = steps("clean", uri)
    runner.upgrade("a1000000base")
    go_on = threading.Event()
    outcome: list[BaseException] = []

    def job() -> None:
        go_on.wait()
        runner.upgrade("a2000000idx")

    def caller() -> None:
        try:
            runner.run(job)
        except BaseException as error:
            outcome.append(error)

    waiting = threading.Thread(target=caller)
    waiting.start()
    while not runner._busy:  # the job is handed over
        threading.Event().wait(0.01)
    runner.close()
    go_on.set()
    waiting.join()
    assert [type(error) for error in outcome] == [StepsClosed]
    assert versions(uri) == ["a1000000base"]
    sessions = [t for t in threading.enumerate() if t.name == "wazo-manage-db env.py"]
    assert len(sessions) <= 1  # the closed one, ending
