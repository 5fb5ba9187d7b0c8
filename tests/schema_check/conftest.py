"""A small daemon-shaped tree (stock env.py, two revisions) and models that match it, written
here (with bench/gen_tree.py's write_models_tree, as the benchmark writes its own) for
check-models and drift; each test edits the models or the live database."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import gen_tree
import pytest
from throwaway_drops import wait_for_throwaway_drops

from pgtest import demo_settings, throwaway_names

VERSION_TABLE = "alembic_version_shop"

REVISIONS = {
    "s1000000acct": (
        None,
        """
        op.create_table(
            "account",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(80), nullable=False),
            sa.Column(
                "status",
                sa.Enum("new", "active", name="account_status"),
                nullable=False,
                server_default="new",
            ),
            sa.Column("created_at", sa.DateTime, server_default=sa.text("now()"), nullable=False),
            sa.Column("score", sa.Integer),
            sa.CheckConstraint("score >= 0", name="account_score_check"),
        )
        op.create_index("account_email_idx", "account", ["email"])
        """,
        """
        op.drop_table("account")
        op.execute("DROP TYPE account_status")
        """,
    ),
    "s2000000note": (
        "s1000000acct",
        """
        op.create_table(
            "note",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "account_id",
                sa.Integer,
                sa.ForeignKey("account.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("body", sa.Text, comment="the text"),
        )
        op.create_index("note_lower_body_idx", "note", [sa.text("lower(body)")])
        """,
        """
        op.drop_table("note")
        """,
    ),
}

MODELS = '''
"""The shop daemon's models, as the migrations build them."""

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        sa.Index("account_email_idx", "email"),
        sa.CheckConstraint("score >= 0", name="account_score_check"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(80), nullable=False)
    status = sa.Column(
        sa.Enum("new", "active", name="account_status"), nullable=False, server_default="new"
    )
    created_at = sa.Column(sa.DateTime, server_default=sa.text("now()"), nullable=False)
    score = sa.Column(sa.Integer)


class Note(Base):
    __tablename__ = "note"
    __table_args__ = (sa.Index("note_lower_body_idx", sa.text("lower(body)")),)

    id = sa.Column(sa.Integer, primary_key=True)
    account_id = sa.Column(
        sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False
    )
    body = sa.Column(sa.Text, comment="the text")
'''


def write_tree(root: Path) -> Path:
    """The shop tree under ``root`` (``root/alembic``); its location."""
    revisions = [
        gen_tree.ModelsRevision(revision, down, up, downgrade)
        for revision, (down, up, downgrade) in REVISIONS.items()
    ]
    return gen_tree.write_models_tree(root / "alembic", revisions, VERSION_TABLE)


@pytest.fixture
def shop_tree(tmp_path: Path) -> Path:
    """The shop tree's location; its project directory (tmp_path) holds the models modules."""
    return write_tree(tmp_path)


@pytest.fixture
def write_models(tmp_path: Path) -> Callable[..., str]:
    """Write the shop models, each ``(old, new)`` replacement applied, as a module of a name of
    its own (modules stay imported); return its ``MODULE:ATTR``."""

    def write(*replacements: tuple[str, str], attribute: str = "Base") -> str:
        source = MODELS
        for old, new in replacements:
            assert old in source, old
            source = source.replace(old, new)
        name = f"shop_models_{secrets.token_hex(4)}"
        (tmp_path / f"{name}.py").write_text(source)
        return f"{name}:{attribute}"

    return write


@pytest.fixture
def shop_config(
    shop_tree: Path, pg_admin_uri: str, cleanup, write_config
) -> Iterator[Callable[..., Path]]:
    """A config of the one component ``demo`` (the shop tree) on a throwaway role and database;
    ``own`` adds to the component's section. The role's throwaway databases are gone after."""
    role, database = throwaway_names(cleanup, "t_shop")

    def make(**own: object) -> Path:
        path = write_config(
            demo_settings(pg_admin_uri, role, database, shop_tree, VERSION_TABLE, **own)
        )
        make.role, make.database = role, database  # type: ignore[attr-defined]
        return path

    yield make
    assert wait_for_throwaway_drops(pg_admin_uri, role) == []
