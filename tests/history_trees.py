"""Small trees for the applied-history tests (tests/history, tests/faults): stock-style or ours."""

from __future__ import annotations

from pathlib import Path

from pgtest import demo_settings, throwaway_names, with_db, write_revision

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "history"
VERSION_TABLE = "alembic_version_demo"
HISTORY_TABLE = f"{VERSION_TABLE}_history"


def make_tree(root: Path, revisions, env: str = "stock") -> Path:
    """A tree of (id, down_revision, upgrade body, downgrade body) revisions."""
    location = root / "alembic"
    (location / "versions").mkdir(parents=True)
    if env == "stock":
        text = (FIXTURES / "stock" / "env.py").read_text()
        (location / "env.py").write_text(text.replace("VERSION_TABLE_NAME", VERSION_TABLE))
    else:
        (location / "env.py").write_text((FIXTURES / "ours_env.py").read_text())
    for revision in revisions:
        write_revision(location, *revision)
    return location


def setup_component(tmp_path, write_config, pg_admin_uri, cleanup, revisions, env="stock"):
    """(config file, owner URI, tree location) of one component 'demo' on throwaway names."""
    role, database = throwaway_names(cleanup, "t_demo")
    location = make_tree(tmp_path / "tree", revisions, env)
    config = write_config(demo_settings(pg_admin_uri, role, database, location, VERSION_TABLE))
    return config, with_db(pg_admin_uri, database, role), location


def revision(rev: str, down: str | None, table: str):
    """A transactional revision creating (and dropping) one table."""
    return (
        rev,
        down,
        f'op.execute("CREATE TABLE {table} (id int PRIMARY KEY)")',
        f'op.execute("DROP TABLE {table}")',
    )


ONE = revision("a1a1a1a1a1a1", None, "one")
TWO = revision("b2b2b2b2b2b2", "a1a1a1a1a1a1", "two")
THREE = revision("c3c3c3c3c3c3", "b2b2b2b2b2b2", "three")
