"""Shared helpers of the benchmark scripts: timing, throwaway databases, result tables.

Import it from a script in ``bench/`` with ``from common import ...`` (running
``python bench/<script>.py`` puts ``bench/`` on ``sys.path``).

The PostgreSQL server is reached through ``BENCH_ADMIN_URI`` (a superuser connection,
default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_uri() -> str:
    """Return the superuser URI the benchmarks use to create and drop databases."""
    return os.environ.get("BENCH_ADMIN_URI", DEFAULT_ADMIN_URI)


def with_database(uri: str, database: str) -> str:
    """Return ``uri`` pointing at ``database`` instead."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_name(stem: str) -> str:
    """Return a name no other benchmark run will use, e.g. ``bench_core_1a2b3c4d``."""
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def _admin_execute(statement: sql.Composable, uri: str | None = None) -> None:
    conn = psycopg2.connect(uri or admin_uri())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_database(name: str, owner: str | None = None) -> None:
    """Create database ``name`` (owned by role ``owner`` if given)."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if owner:
        statement = sql.SQL("{} OWNER {}").format(statement, sql.Identifier(owner))
    _admin_execute(statement)


def drop_database(name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting its sessions."""
    _admin_execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


def reset_database(name: str, owner: str | None = None) -> None:
    """Drop and create database ``name`` again: an empty database, same name."""
    drop_database(name)
    create_database(name, owner)


@contextlib.contextmanager
def throwaway_database(stem: str = "bench", owner: str | None = None) -> Iterator[str]:
    """Create a uniquely named database, yield its URI, and drop it at the end, even on error.

    With ``owner`` a login role of that name (made unique too) is created, owns the
    database, and is dropped afterwards; the yielded URI still connects as the superuser.
    """
    name = unique_name(stem)
    role = unique_name(owner) if owner else None
    if role:
        _admin_execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        create_database(name, role)
        yield with_database(admin_uri(), name)
    finally:
        drop_database(name)
        if role:
            _admin_execute(
                sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role))
            )


def database_name(uri: str) -> str:
    """Return the database part of ``uri``."""
    return urlsplit(uri).path.lstrip("/")


def query_scalar(uri: str, query: str) -> object:
    """Run ``query`` on ``uri`` and return the first column of the first row (or None)."""
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def alembic_command(*args: str) -> list[str]:
    """Return the command running the alembic CLI of the current interpreter."""
    return [sys.executable, "-m", "alembic", *args]


def manage_db_command(*args: str) -> list[str]:
    """Return the command running wazo-manage-db from the current interpreter."""
    return [sys.executable, "-m", "manage_db", *args]


def psql_command(uri: str, *args: str) -> list[str]:
    """Return a quiet ``psql`` command on ``uri`` that stops at the first error."""
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, *args]


def have_psql() -> bool:
    """Tell whether the ``psql`` client is on the PATH."""
    return shutil.which("psql") is not None


class CommandFailed(RuntimeError):
    """A timed command exited non-zero when it was expected to succeed."""


def run(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok_codes: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (extra ``env`` over the current one); raise CommandFailed on failure."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        list(command),
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in ok_codes:
        raise CommandFailed(
            f"{' '.join(command)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


@dataclass
class Timing:
    """Wall-clock seconds of the repeats of one measurement."""

    samples: list[float]

    @property
    def median(self) -> float:
        """Median of the samples, in seconds."""
        return statistics.median(self.samples)

    def __str__(self) -> str:
        return format_seconds(self.median)


def time_command(
    command: Sequence[str],
    repeat: int = 5,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    before: Callable[[], None] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> Timing:
    """Run ``command`` ``repeat`` times and return the wall-clock samples.

    ``before`` runs before each repeat and is not timed (e.g. to reset a database).
    """
    return time_commands([command], repeat, env, cwd, before, ok_codes)


def time_commands(
    commands: Sequence[Sequence[str]],
    repeat: int = 5,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    before: Callable[[], None] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> Timing:
    """Like :func:`time_command`, one sample being the whole sequence of ``commands``."""
    samples = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        for command in commands:
            run(command, env, cwd, ok_codes)
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def format_seconds(seconds: float) -> str:
    """Format a duration for a table: ``12 ms`` or ``1.23 s``."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass
class Row:
    """One line of a result table: ours against a peer tool and the floor, and a target.

    ``target`` is the highest acceptable ``ours / peer`` ratio; None means informative only.
    """

    measurement: str
    ours: float
    peer: float
    floor: float | None = None
    target: float | None = None
    ours_label: str = "wazo-manage-db"

    @property
    def ratio(self) -> float:
        """Our time divided by the peer's."""
        return self.ours / self.peer

    @property
    def passed(self) -> bool | None:
        """True/False against the target, None when there is no target."""
        return None if self.target is None else self.ratio <= self.target


def markdown_table(rows: Sequence[Row], peer: str = "peer") -> str:
    """Render result rows as a markdown table."""
    lines = [
        f"| measurement | wazo-manage-db | {peer} | floor | ratio | target | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        floor = format_seconds(row.floor) if row.floor is not None else "-"
        target = f"≤ {row.target:g}×" if row.target is not None else "-"
        result = {None: "-", True: "pass", False: "**FAIL**"}[row.passed]
        floor_ratio = f" ({row.ours / row.floor:.1f}× floor)" if row.floor else ""
        lines.append(
            f"| {row.measurement} | {format_seconds(row.ours)} | {format_seconds(row.peer)} "
            f"| {floor} | {row.ratio:.2f}×{floor_ratio} | {target} | {result} |"
        )
    return "\n".join(lines)
