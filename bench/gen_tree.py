#!/usr/bin/env python3
"""Generate a stock, daemon-style alembic project with a long linear history.

The tree looks like the one a Wazo daemon ships: ``alembic.ini``, an ``env.py`` that reads
``ALEMBIC_DB_URI`` first and sets its own ``version_table``, and N revision files of the kinds
real histories contain (tables, columns with defaults, indexes, unique and foreign keys, raw SQL
functions and triggers, enum types that grow, data migrations, renames, comments).  Every
downgrade restores the previous schema exactly, so a schema-diff round trip must pass.

Usage::

    python bench/gen_tree.py --revisions 1000 --out /tmp/tree
    python bench/gen_tree.py --revisions 100 --components 10 --out /tmp/trees

The output depends only on the arguments (``--seed`` included), never on the clock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import shutil
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TABLE_WORDS = (
    "tenant", "context", "extension", "endpoint", "line", "trunk", "queue", "agent",
    "voicemail", "schedule", "callfilter", "conference", "paging", "parking", "switchboard",
    "moh", "sound", "incall", "outcall", "dialpattern", "groupfeature", "pickup",
    "callpermission", "device", "phonebook", "contact", "webhook", "subscription", "session",
    "token", "policy", "acl_entry", "application", "skill", "meeting", "ivr", "funckey",
    "recording", "presence", "directory",
)  # fmt: skip
COLUMN_WORDS = (
    "label", "priority", "enabled", "timeout", "description", "number", "caller_id",
    "language", "timezone", "max_calls", "music_class", "ring_time", "retry_delay", "weight",
    "preprocess", "announce", "ring_strategy", "dtmf_mode", "codec", "purpose", "nickname",
    "mobile", "email", "penalty", "wrapup_time", "autoanswer", "firstname", "lastname",
)  # fmt: skip
ENUM_WORDS = (
    "presence_state",
    "call_direction",
    "line_protocol",
    "queue_strategy",
    "mood",
)
ENUM_VALUES = (
    "available", "away", "busy", "invisible", "ringing", "parked", "held", "transferred",
    "recorded", "missed",
)  # fmt: skip
# Columns every table is created with; renames and data migrations leave them alone.
BASE_COLUMNS = ("id", "name", "created_at", "updated_at")
# Added-column kinds: (SQLAlchemy type, extra Column arguments).
ADDED_COLUMN_TYPES = {
    "int": ("sa.Integer()", "server_default=sa.text('0'), nullable=False"),
    "bool": ("sa.Boolean()", "server_default=sa.text('false'), nullable=False"),
    "str": ("sa.String(length=64)", "server_default='', nullable=False"),
    "text": ("sa.Text()", "nullable=True"),
    "ts": ("sa.DateTime(timezone=True)", "nullable=True"),
}
BASE_DATE = datetime.datetime(2019, 1, 7, 9, 0, 0)


@dataclass
class Column:
    """A column of the modelled schema, as it stands after the revisions written so far."""

    name: str
    kind: str  # a key of ADDED_COLUMN_TYPES, or "base", "fk", "enum"
    comment: str | None = None
    indexed: bool = False
    unique: bool = False
    enum_type: str | None = None


@dataclass
class Table:
    """A table of the modelled schema."""

    name: str
    columns: list[Column]
    comment: str | None = None
    has_trigger: bool = False
    constraint_count: int = 0

    def constraint_name(self, suffix: str) -> str:
        """Return a fresh constraint or index name for this table, e.g. ``queue_3_ix2``."""
        self.constraint_count += 1
        return f"{self.name}_{suffix}{self.constraint_count}"


@dataclass
class EnumType:
    """An enum type created by raw SQL, and the columns using it."""

    name: str
    values: list[str]
    users: list[tuple[Table, Column]] = field(default_factory=list)


@dataclass
class Revision:
    """One revision file to write."""

    message: str
    upgrade: list[str]
    downgrade: list[str]
    needs_postgresql: bool = False


@dataclass
class TreeInfo:
    """What was generated: where, the head, and the version table."""

    path: Path
    head: str
    version_table: str
    revisions: int
    tables: int
    prefix: str

    @property
    def script_location(self) -> Path:
        """The directory alembic's ``script_location`` points to."""
        return self.path / "alembic"


class SchemaModel:
    """Random but deterministic author of a linear migration history."""

    def __init__(self, rng: random.Random, prefix: str) -> None:
        self.rng = rng
        self.prefix = prefix
        self.tables: list[Table] = []
        self.enums: list[EnumType] = []
        self.name_count = 0

    def fresh(self, word: str) -> str:
        """Return ``word`` with a suffix unique in the whole tree."""
        self.name_count += 1
        return f"{word}_{self.name_count}"

    def next_revision(self, index: int, total: int) -> Revision:
        """Author the revision at position ``index`` of ``total``."""
        early = index < max(3, total // 20)
        p_create = 0.35 if early else 0.1
        if len(self.tables) < 3 or self.rng.random() < p_create:
            return self.create_table()
        kinds: list[tuple[float, Callable[[], Revision | None]]] = [
            (0.24, self.add_column),
            (0.14, self.create_index),
            (0.05, self.add_unique),
            (0.06, self.add_foreign_key),
            (0.12, self.data_migration),
            (0.10, self.rename_column),
            (0.13, self.add_comment),
            (0.05, self.add_trigger),
            (0.015, self.create_enum),
            (0.04, self.add_enum_value),
        ]
        roll = self.rng.random() * sum(weight for weight, _ in kinds)
        author = kinds[-1][1]
        for weight, candidate in kinds:
            roll -= weight
            if roll <= 0:
                author = candidate
                break
        return author() or self.add_column()

    def pick_table(self) -> Table:
        """Pick a table, favouring recent ones as real histories do."""
        n = len(self.tables)
        return self.tables[min(n - 1, int(n * self.rng.random() ** 0.6))]

    def create_table(self) -> Revision:
        """Create a table with a primary key, a unique name, maybe a foreign key."""
        name = self.prefix + self.fresh(self.rng.choice(TABLE_WORDS))
        table = Table(name, [Column(col, "base") for col in BASE_COLUMNS])
        cols = [
            "sa.Column('id', sa.Integer(), nullable=False)",
            "sa.Column('name', sa.String(length=128), nullable=False)",
        ]
        constraints = [f"sa.PrimaryKeyConstraint('id', name='{name}_pkey')"]
        if self.tables and self.rng.random() < 0.7:
            parent = self.pick_table()
            fk_col = f"{parent.name.removeprefix(self.prefix)}_id"
            table.columns.append(Column(fk_col, "fk", indexed=True))
            cols.append(f"sa.Column('{fk_col}', sa.Integer(), nullable=False)")
            constraints.append(
                f"sa.ForeignKeyConstraint(['{fk_col}'], ['{parent.name}.id'], "
                f"name='{table.constraint_name('fk')}', ondelete='CASCADE')"
            )
            index = table.constraint_name("ix")
            after = [f"op.create_index('{index}', '{name}', ['{fk_col}'])"]
        else:
            after = []
        for ts in ("created_at", "updated_at"):
            cols.append(
                f"sa.Column('{ts}', sa.DateTime(timezone=True), "
                "server_default=sa.text('now()'), nullable=False)"
            )
        constraints.append(f"sa.UniqueConstraint('name', name='{name}_name_key')")
        body = ",\n        ".join([repr(name), *cols, *constraints])
        self.tables.append(table)
        return Revision(
            f"create table {name}",
            [f"op.create_table(\n        {body},\n    )", *after],
            [f"op.drop_table('{name}')"],
        )

    def add_column(self) -> Revision:
        """Add a column, NOT NULL with a server default when its type allows it."""
        table = self.pick_table()
        kind = self.rng.choice(tuple(ADDED_COLUMN_TYPES))
        type_, extra = ADDED_COLUMN_TYPES[kind]
        column = Column(self.fresh(self.rng.choice(COLUMN_WORDS)), kind)
        table.columns.append(column)
        return Revision(
            f"add {table.name}.{column.name}",
            [f"op.add_column('{table.name}', sa.Column('{column.name}', {type_}, {extra}))"],
            [f"op.drop_column('{table.name}', '{column.name}')"],
        )

    def create_index(self) -> Revision | None:
        """Index a column that has no index yet."""
        table = self.pick_table()
        candidates = [c for c in table.columns if not c.indexed and c.kind not in ("base", "text")]
        if not candidates:
            return None
        column = self.rng.choice(candidates)
        column.indexed = True
        index = table.constraint_name("ix")
        return Revision(
            f"index {table.name}.{column.name}",
            [f"op.create_index('{index}', '{table.name}', ['{column.name}'])"],
            [f"op.drop_index('{index}', table_name='{table.name}')"],
        )

    def add_unique(self) -> Revision | None:
        """Add a unique constraint on a string column."""
        table = self.pick_table()
        candidates = [c for c in table.columns if c.kind == "str" and not c.unique]
        if not candidates:
            return None
        column = self.rng.choice(candidates)
        column.unique = True
        name = table.constraint_name("uq")
        return Revision(
            f"unique {table.name}.{column.name}",
            [f"op.create_unique_constraint('{name}', '{table.name}', ['{column.name}'])"],
            [f"op.drop_constraint('{name}', '{table.name}', type_='unique')"],
        )

    def add_foreign_key(self) -> Revision | None:
        """Add a nullable reference to another table."""
        table = self.pick_table()
        parent = self.pick_table()
        if parent is table:
            return None
        column = Column(self.fresh(f"{parent.name.removeprefix(self.prefix)}_id"), "fk")
        table.columns.append(column)
        name = table.constraint_name("fk")
        return Revision(
            f"reference {parent.name} from {table.name}",
            [
                (
                    f"op.add_column('{table.name}', sa.Column('{column.name}', sa.Integer(), "
                    "nullable=True))"
                ),
                (
                    f"op.create_foreign_key('{name}', '{table.name}', '{parent.name}', "
                    f"['{column.name}'], ['id'], ondelete='SET NULL')"
                ),
            ],
            [
                f"op.drop_constraint('{name}', '{table.name}', type_='foreignkey')",
                f"op.drop_column('{table.name}', '{column.name}')",
            ],
        )

    def data_migration(self) -> Revision | None:
        """Rewrite existing rows; the downgrade rewrites them back."""
        table = self.pick_table()
        candidates = [c for c in table.columns if c.kind in ("int", "bool")]
        if not candidates:
            return None
        column = self.rng.choice(candidates)
        if column.kind == "int":
            up = f"UPDATE {table.name} SET {column.name} = {column.name} + 1"
            down = f"UPDATE {table.name} SET {column.name} = {column.name} - 1"
        else:
            up = down = f"UPDATE {table.name} SET {column.name} = NOT {column.name}"
        return Revision(
            f"migrate data of {table.name}.{column.name}",
            [f"op.execute({up!r})"],
            [f"op.execute({down!r})"],
        )

    def rename_column(self) -> Revision | None:
        """Rename a column added by an earlier revision."""
        table = self.pick_table()
        candidates = [c for c in table.columns if c.kind != "base"]
        if not candidates:
            return None
        column = self.rng.choice(candidates)
        old, column.name = column.name, self.fresh(self.rng.choice(COLUMN_WORDS))
        return Revision(
            f"rename {table.name}.{old} to {column.name}",
            [f"op.alter_column('{table.name}', '{old}', new_column_name='{column.name}')"],
            [f"op.alter_column('{table.name}', '{column.name}', new_column_name='{old}')"],
        )

    def add_comment(self) -> Revision:
        """Comment a table (alembic op) or a column (raw SQL); downgrade restores the old one."""
        table = self.pick_table()
        text = f"{self.rng.choice(COLUMN_WORDS).replace('_', ' ')} rev {self.name_count}"
        self.name_count += 1
        if self.rng.random() < 0.4:
            old, table.comment = table.comment, text
            up = f"op.create_table_comment('{table.name}', {text!r}, existing_comment={old!r})"
            if old is None:
                down = f"op.drop_table_comment('{table.name}', existing_comment={text!r})"
            else:
                down = (
                    f"op.create_table_comment('{table.name}', {old!r}, existing_comment={text!r})"
                )
            return Revision(f"comment table {table.name}", [up], [down])
        column = self.rng.choice(table.columns)
        old, column.comment = column.comment, text
        target = f"COMMENT ON COLUMN {table.name}.{column.name} IS"
        restored = "NULL" if old is None else f"'{old}'"
        return Revision(
            f"comment column {table.name}.{column.name}",
            [f"op.execute(\"{target} '{text}'\")"],
            [f'op.execute("{target} {restored}")'],
        )

    def add_trigger(self) -> Revision | None:
        """Create a plpgsql function and a trigger keeping ``updated_at`` current."""
        candidates = [t for t in self.tables if not t.has_trigger]
        if not candidates:
            return None
        table = self.rng.choice(candidates)
        table.has_trigger = True
        function = f"{table.name}_touch"
        create_function = (
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n    NEW.updated_at = now();\n    RETURN NEW;\nEND;\n$$"
        )
        create_trigger = (
            f"CREATE TRIGGER {function} BEFORE UPDATE ON {table.name} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        return Revision(
            f"touch trigger on {table.name}",
            [
                f'op.execute(\n        """\n{create_function}\n"""\n    )',
                f"op.execute({create_trigger!r})",
            ],
            [
                f"op.execute('DROP TRIGGER {function} ON {table.name}')",
                f"op.execute('DROP FUNCTION {function}()')",
            ],
        )

    def create_enum(self) -> Revision:
        """Create an enum type by raw SQL and a column of that type."""
        name = self.prefix + self.fresh(self.rng.choice(ENUM_WORDS))
        enum = EnumType(name, self.rng.sample(ENUM_VALUES, 2))
        table = self.pick_table()
        column = Column(self.fresh(self.rng.choice(("state", "status", "direction"))), "enum")
        column.enum_type = name
        table.columns.append(column)
        enum.users.append((table, column))
        self.enums.append(enum)
        values = ", ".join(f"'{v}'" for v in enum.values)
        return Revision(
            f"create enum {name}",
            [
                f'op.execute("CREATE TYPE {name} AS ENUM ({values})")',
                (
                    f"op.add_column('{table.name}', sa.Column('{column.name}', "
                    f"postgresql.ENUM(name='{name}', create_type=False), nullable=True))"
                ),
            ],
            [
                f"op.drop_column('{table.name}', '{column.name}')",
                f"op.execute('DROP TYPE {name}')",
            ],
            needs_postgresql=True,
        )

    def add_enum_value(self) -> Revision | None:
        """Add a value to an enum; the downgrade rebuilds the type without it."""
        candidates = [e for e in self.enums if len(e.values) < len(ENUM_VALUES)]
        if not candidates:
            return None
        enum = self.rng.choice(candidates)
        value = self.rng.choice([v for v in ENUM_VALUES if v not in enum.values])
        old_values = ", ".join(f"'{v}'" for v in enum.values)
        enum.values.append(value)
        down = [
            f"op.execute('ALTER TYPE {enum.name} RENAME TO {enum.name}_old')",
            f'op.execute("CREATE TYPE {enum.name} AS ENUM ({old_values})")',
        ]
        for table, column in enum.users:
            down.append(
                f"op.execute('ALTER TABLE {table.name} ALTER COLUMN {column.name} "
                f"TYPE {enum.name} USING {column.name}::text::{enum.name}')"
            )
        down.append(f"op.execute('DROP TYPE {enum.name}_old')")
        return Revision(
            f"add {value} to enum {enum.name}",
            [f"op.execute(\"ALTER TYPE {enum.name} ADD VALUE '{value}'\")"],
            down,
        )


ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = postgresql://postgres@127.0.0.1:5432/{database}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

ENV_PY = '''\
"""Alembic environment of a daemon-style benchmark tree (generated by bench/gen_tree.py)."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = None
VERSION_TABLE = {version_table!r}


def get_url():
    url = os.getenv('ALEMBIC_DB_URI') or config.get_main_option('sqlalchemy.url')
    # Pin psycopg2: with SQLAlchemy 2.x a bare postgresql:// means psycopg 3.
    if url.startswith('postgresql://'):
        url = 'postgresql+psycopg2://' + url[len('postgresql://') :]
    return url


def run_migrations_offline():
    context.configure(
        url=get_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(get_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=VERSION_TABLE,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

STOCK_ENV_PY = '''\
"""Alembic environment of a benchmark tree shaped like a stock Wazo daemon's (gen_tree.py)."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

VERSION_TABLE = {version_table!r}
URI = os.getenv('ALEMBIC_DB_URI', None)


def run_migrations_offline():
    url = URI or config.get_main_option('sqlalchemy.url')
    context.configure(url=url, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    url = URI or config.get_main_option('sqlalchemy.url')
    engine = create_engine(url)
    connection = engine.connect()
    context.configure(connection=connection, version_table=VERSION_TABLE)
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

SCRIPT_PY_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

REVISION_PY = '''\
"""{message}

Revision ID: {revision}
Revises: {down_revision_text}
Create Date: {create_date}

"""

import sqlalchemy as sa
from alembic import op
{extra_imports}
# revision identifiers, used by Alembic.
revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None


def upgrade():
    {upgrade}


def downgrade():
    {downgrade}
'''


def _slug(message: str) -> str:
    words = "".join(c if c.isalnum() else "_" for c in message.lower()).split("_")
    return "_".join(w for w in words if w)[:40].rstrip("_")


def generate_tree(
    out: Path,
    revisions: int,
    version_table: str = "alembic_version",
    seed: int = 0,
    prefix: str = "",
    database: str = "bench",
    stock_env: bool = False,
) -> TreeInfo:
    """Write a daemon-style alembic project with ``revisions`` linear revisions into ``out``.

    ``prefix`` is put in front of every table, type and function name, so that several trees
    can share one database.  An existing ``versions`` directory is emptied first.
    ``stock_env``: an env.py shaped like a stock Wazo daemon's (URL read at import, no
    ``transaction_per_migration``, default pool, connection closed but engine not disposed,
    offline mode without literal binds) instead of the benchmark's own.
    """
    rng = random.Random(f"{seed}:{prefix}")
    versions = out / "alembic" / "versions"
    if versions.exists():
        shutil.rmtree(versions)
    versions.mkdir(parents=True)
    (out / "alembic.ini").write_text(ALEMBIC_INI.format(database=database))
    env_py = STOCK_ENV_PY if stock_env else ENV_PY
    (out / "alembic" / "env.py").write_text(env_py.format(version_table=version_table))
    (out / "alembic" / "script.py.mako").write_text(SCRIPT_PY_MAKO)

    model = SchemaModel(rng, prefix)
    seen: set[str] = set()
    down: str | None = None
    for index in range(revisions):
        revision_id = f"{rng.getrandbits(48):012x}"
        while revision_id in seen:
            revision_id = f"{rng.getrandbits(48):012x}"
        seen.add(revision_id)
        revision = model.next_revision(index, revisions)
        created = BASE_DATE + datetime.timedelta(hours=7 * index)
        text = REVISION_PY.format(
            message=revision.message.capitalize(),
            revision=revision_id,
            down_revision=down,
            down_revision_text=down or "",
            create_date=created.isoformat(sep=" "),
            extra_imports=(
                "from sqlalchemy.dialects import postgresql\n" if revision.needs_postgresql else ""
            ),
            upgrade="\n    ".join(revision.upgrade),
            downgrade="\n    ".join(revision.downgrade),
        )
        (versions / f"{revision_id}_{_slug(revision.message)}.py").write_text(text)
        down = revision_id
    info = TreeInfo(out, down or "", version_table, revisions, len(model.tables), prefix)
    manifest = {
        "head": info.head,
        "version_table": version_table,
        "revisions": revisions,
        "tables": info.tables,
        "prefix": prefix,
        "seed": seed,
    }
    (out / "tree.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return info


# A small tree with models, for check-models and drift (their tests and benchmark): the env.py
# of a stock daemon reduced to its online path, its target_metadata from the daemon's models.
MODELS_ENV_PY = '''\
"""Environment shaped like a stock Wazo daemon's env.py (URI read once, at import)."""

import os

from alembic import context
from sqlalchemy import create_engine
{models_import}
VERSION_TABLE = {version_table!r}
URI = os.getenv("ALEMBIC_DB_URI", None)


def run_migrations_online():
    engine = create_engine(URI or context.config.get_main_option("sqlalchemy.url"))
    connection = engine.connect()
    context.configure(
        connection=connection,
        target_metadata={target_metadata},
        version_table=VERSION_TABLE,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.close()


run_migrations_online()
'''

MODELS_REVISION_PY = '''\
"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


@dataclass(frozen=True)
class ModelsRevision:
    """One revision of a models tree: its id, parent, message and the bodies of its
    upgrade() and downgrade() (Python statements, indented or not)."""

    revision: str
    down_revision: str | None
    upgrade: str
    downgrade: str
    message: str = ""


def write_models_tree(
    location: Path,
    revisions: Sequence[ModelsRevision],
    version_table: str,
    models: str | None = None,
) -> Path:
    """Write a daemon-shaped tree at ``location`` (env.py, an empty script template, a revision
    file per entry); when ``models`` (``MODULE:ATTR``, a declarative base) is given, env.py
    imports its module and sets target_metadata to its metadata, as a daemon's does. Returns
    ``location``."""
    (location / "versions").mkdir(parents=True)
    module, _, attribute = models.partition(":") if models else ("", "", "")
    (location / "env.py").write_text(
        MODELS_ENV_PY.format(
            models_import=f"\nimport {module}\n" if module else "",
            version_table=version_table,
            target_metadata=f"{module}.{attribute}.metadata" if module else "None",
        )
    )
    (location / "script.py.mako").write_text("")
    for entry in revisions:
        (location / "versions" / f"{entry.revision}.py").write_text(
            MODELS_REVISION_PY.format(
                message=entry.message or entry.revision,
                revision=entry.revision,
                down_revision=entry.down_revision,
                upgrade=_body(entry.upgrade),
                downgrade=_body(entry.downgrade),
            )
        )
    return location


def _body(statements: str) -> str:
    return textwrap.indent(textwrap.dedent(statements).strip(), "    ")


def generate_components(
    out: Path, count: int, revisions: int, seed: int = 0, database: str = "bench"
) -> list[TreeInfo]:
    """Write ``count`` trees ``out/component_<i>`` sharing one database.

    Tree ``i`` uses the version table ``alembic_version_<i>`` and prefixes its objects with
    ``c<i>_`` so that the trees never collide.
    """
    return [
        generate_tree(
            out / f"component_{i}",
            revisions,
            version_table=f"alembic_version_{i}",
            seed=seed,
            prefix=f"c{i}_",
            database=database,
        )
        for i in range(count)
    ]


def load_tree_info(path: Path) -> TreeInfo:
    """Read back the ``tree.json`` manifest written by :func:`generate_tree`."""
    manifest = json.loads((path / "tree.json").read_text())
    return TreeInfo(
        path,
        manifest["head"],
        manifest["version_table"],
        manifest["revisions"],
        manifest["tables"],
        manifest["prefix"],
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, required=True, help="revisions per tree")
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--version-table", default="alembic_version")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default="", help="prefix of every object name")
    parser.add_argument("--database", default="bench", help="database named in alembic.ini")
    parser.add_argument(
        "--components",
        type=int,
        default=0,
        help="write K trees out/component_<i> instead",
    )
    parser.add_argument(
        "--stock-env",
        action="store_true",
        help="an env.py shaped like a stock Wazo daemon's (no transaction_per_migration)",
    )
    args = parser.parse_args(argv)
    if args.components:
        trees = generate_components(
            args.out, args.components, args.revisions, args.seed, args.database
        )
    else:
        trees = [
            generate_tree(
                args.out,
                args.revisions,
                args.version_table,
                args.seed,
                args.prefix,
                args.database,
                stock_env=args.stock_env,
            )
        ]
    for tree in trees:
        print(
            f"{tree.path}: {tree.revisions} revisions, {tree.tables} tables, head {tree.head}, "
            f"version table {tree.version_table}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
