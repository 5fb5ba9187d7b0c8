"""The generated benchmark tree upgrades, downgrades and upgrades again with plain alembic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import common
import gen_tree
import psycopg2
import pytest

REVISIONS = 40
VERSION_TABLE = "alembic_version_benchtest"


@pytest.fixture
def database_uri() -> Iterator[str]:
    try:
        psycopg2.connect(common.admin_uri()).close()
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {common.admin_uri()}: {exc}")
    with common.throwaway_database("test_gen_tree") as uri:
        yield uri


@pytest.fixture
def tree(tmp_path: Path) -> gen_tree.TreeInfo:
    return gen_tree.generate_tree(tmp_path / "tree", REVISIONS, version_table=VERSION_TABLE)


def alembic(tree: gen_tree.TreeInfo, uri: str, *args: str) -> str:
    proc = common.run(common.alembic_command(*args), env={"ALEMBIC_DB_URI": uri}, cwd=tree.path)
    return proc.stdout


def tables(uri: str) -> set[str]:
    query = (
        "SELECT coalesce(string_agg(relname, ','), '') FROM pg_class "
        "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
    )
    return set(filter(None, str(common.query_scalar(uri, query)).split(",")))


def version(uri: str) -> object:
    return common.query_scalar(uri, f"SELECT version_num FROM {VERSION_TABLE}")


def test_generated_tree_is_linear_with_the_requested_length(
    tree: gen_tree.TreeInfo,
) -> None:
    files = sorted((tree.script_location / "versions").glob("*.py"))

    assert len(files) == REVISIONS
    assert all(len(f.name.split("_")[0]) == 12 for f in files)


def test_generation_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = gen_tree.generate_tree(tmp_path / "a", 30, seed=7)
    second = gen_tree.generate_tree(tmp_path / "b", 30, seed=7)
    other = gen_tree.generate_tree(tmp_path / "c", 30, seed=8)

    def contents(info: gen_tree.TreeInfo) -> dict[str, str]:
        return {p.name: p.read_text() for p in (info.script_location / "versions").iterdir()}

    assert contents(first) == contents(second)
    assert first.head != other.head


def test_tree_upgrades_downgrades_and_upgrades_again(
    tree: gen_tree.TreeInfo, database_uri: str
) -> None:
    alembic(tree, database_uri, "upgrade", "head")
    assert version(database_uri) == tree.head
    created = tables(database_uri)
    assert len(created) > 3

    alembic(tree, database_uri, "downgrade", "base")
    assert tables(database_uri) == {VERSION_TABLE}
    assert version(database_uri) is None

    alembic(tree, database_uri, "upgrade", "head")
    assert version(database_uri) == tree.head
    assert tables(database_uri) == created


def test_tree_renders_offline_sql(tree: gen_tree.TreeInfo, database_uri: str) -> None:
    sql = alembic(tree, database_uri, "upgrade", "head", "--sql")

    assert f"INSERT INTO {VERSION_TABLE}" in sql
    assert "GRANT" not in sql.upper()


def test_components_share_a_database_without_collisions(tmp_path: Path, database_uri: str) -> None:
    trees = gen_tree.generate_components(tmp_path, count=2, revisions=15)

    for info in trees:
        alembic(info, database_uri, "upgrade", "head")

    for i, info in enumerate(trees):
        assert info.version_table == f"alembic_version_{i}"
        head = common.query_scalar(database_uri, f"SELECT version_num FROM {info.version_table}")
        assert head == info.head


def test_stock_env_tree_has_the_same_history_and_upgrades_with_plain_alembic(
    tmp_path: Path, database_uri: str
) -> None:
    own = gen_tree.generate_tree(tmp_path / "own", 20, version_table=VERSION_TABLE)
    stock = gen_tree.generate_tree(
        tmp_path / "stock", 20, version_table=VERSION_TABLE, stock_env=True
    )
    env_py = (stock.script_location / "env.py").read_text()
    assert "transaction_per_migration" not in env_py and "literal_binds" not in env_py

    def contents(info: gen_tree.TreeInfo) -> dict[str, str]:
        return {p.name: p.read_text() for p in (info.script_location / "versions").iterdir()}

    assert contents(own) == contents(stock)
    # A stock env.py hands ALEMBIC_DB_URI to create_engine as it is: the caller pins psycopg2.
    pinned = "postgresql+psycopg2://" + database_uri.split("://", 1)[1]
    alembic(stock, pinned, "upgrade", "head")
    assert version(database_uri) == stock.head
