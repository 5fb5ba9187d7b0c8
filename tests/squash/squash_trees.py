"""Histories for the squash tests: long ones with data rows and values generated per install."""

from __future__ import annotations

from pathlib import Path

from history_trees import make_tree


def rev_id(index: int) -> str:
    return f"{index:04d}5a5a5a5a"


def generated_history(count: int) -> list[tuple[str, str | None, str, str]]:
    """``count`` revisions (at least 4): a tenant whose UUID each install generates, rows that
    reference it (alone and inside a longer text), a timestamp of the install, then tables,
    columns, indexes, comments and rows, one revision each."""
    revisions = [
        (
            rev_id(0),
            None,
            """
            op.execute("CREATE TABLE tenant (uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
                       "name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now(), "
                       "state varchar(16) NOT NULL DEFAULT 'active' "
                       "CHECK (state IN ('active', 'disabled')))")
            op.execute("INSERT INTO tenant (name) VALUES ('master')")
            """,
            'op.execute("DROP TABLE tenant")',
        ),
        (
            rev_id(1),
            rev_id(0),
            """
            op.execute("CREATE TABLE grp (id serial PRIMARY KEY, name text NOT NULL, "
                       "tenant_uuid uuid NOT NULL REFERENCES tenant (uuid))")
            op.execute("INSERT INTO grp (name, tenant_uuid) SELECT 'all-users-' || uuid, uuid "
                       "FROM tenant WHERE name = 'master'")
            op.execute("INSERT INTO grp (name, tenant_uuid) SELECT 'sip:it''s 50% done', uuid "
                       "FROM tenant WHERE name = 'master'")
            """,
            'op.execute("DROP TABLE grp")',
        ),
    ]
    for index in range(2, count):
        table = f"item_{index % 7}"
        if index < 9:
            up = (
                f'op.execute("CREATE TABLE {table} (id integer GENERATED ALWAYS AS IDENTITY '
                f'PRIMARY KEY, label text, tenant_uuid uuid REFERENCES tenant (uuid))")'
            )
            down = f'op.execute("DROP TABLE {table}")'
        elif index % 3 == 0:
            column = f"c{index}"
            up = (
                f'op.execute("ALTER TABLE {table} ADD COLUMN {column} integer NOT NULL '
                f'DEFAULT {index}")\n'
                f"op.execute(\"COMMENT ON COLUMN {table}.{column} IS 'added by {index}'\")"
            )
            down = f'op.execute("ALTER TABLE {table} DROP COLUMN {column}")'
        elif index % 3 == 1:
            up = (
                f"op.execute(\"INSERT INTO {table} (label, tenant_uuid) SELECT 'row {index}', "
                f"uuid FROM tenant WHERE name = 'master'\")"
            )
            down = f"op.execute(\"DELETE FROM {table} WHERE label = 'row {index}'\")"
        else:
            up = f'op.execute("CREATE INDEX ix_{index} ON {table} (label, id)")'
            down = f'op.execute("DROP INDEX ix_{index}")'
        revisions.append((rev_id(index), rev_id(index - 1), up, down))
    return revisions


def tree_files(location: Path) -> dict[str, bytes]:
    """Every file of a tree (and of the directory holding it), by relative path, as bytes."""
    root = location.parent
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def generated_tree(root: Path, count: int) -> Path:
    """A stock-style tree of :func:`generated_history`."""
    return make_tree(root, generated_history(count))
