"""Shared helpers of the benchmark scripts: timing, throwaway databases, result tables.

Import it from a script in ``bench/`` with ``from common import ...`` (running
``python bench/<script>.py`` puts ``bench/`` on ``sys.path``); it puts the checkout there too, so
that the scripts can import ``manage_db``.

The PostgreSQL server is reached through ``BENCH_ADMIN_URI`` (a superuser connection,
default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2

REPO = Path(__file__).resolve().parent.parent
# The checkout's own manage_db, whatever the interpreter has installed: its throwaway databases
# and roles are the ones the tests and verify make (manage_db.dao.throwaway).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from manage_db.dao import throwaway  # noqa: E402
from manage_db.dao.connection import connect  # noqa: E402

DEFAULT_ADMIN_URI = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_uri() -> str:
    """Return the superuser URI the benchmarks use to create and drop databases."""
    return os.environ.get("BENCH_ADMIN_URI", DEFAULT_ADMIN_URI)


def with_database(uri: str, database: str) -> str:
    """Return ``uri`` pointing at ``database`` instead."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_name(stem: str) -> str:
    """Return a name no other benchmark run will use, e.g. ``bench_core_1a2b3c4d5e``."""
    return throwaway.unique_name(stem)


@contextlib.contextmanager
def _admin() -> Iterator[Any]:
    connection = connect(admin_uri())
    try:
        yield connection
    finally:
        connection.close()


def create_database(name: str, owner: str | None = None) -> None:
    """Create database ``name`` (owned by role ``owner`` if given)."""
    with _admin() as admin:
        throwaway.create_database(admin, name, owner)


def drop_database(name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting its sessions."""
    with _admin() as admin:
        throwaway.drop_database(admin, name)


def reset_database(name: str, owner: str | None = None) -> None:
    """Drop and create database ``name`` again: an empty database, same name."""
    with _admin() as admin:
        throwaway.drop_database(admin, name)
        throwaway.create_database(admin, name, owner)


def with_user(uri: str, user: str) -> str:
    """Return ``uri`` connecting as ``user`` (no password: the benchmark server trusts)."""
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


@contextlib.contextmanager
def throwaway_role(stem: str = "bench_owner") -> Iterator[str]:
    """Create a uniquely named login role, yield its name, and drop it at the end.

    Drop the databases it owns first (leave the ``throwaway_database`` block inside this one).
    """
    role = unique_name(stem)
    with _admin() as admin:
        throwaway.create_role(admin, role)
    try:
        yield role
    finally:
        with _admin() as admin:
            throwaway.drop_role(admin, role)


@contextlib.contextmanager
def throwaway_database(stem: str = "bench", owner: str | None = None) -> Iterator[str]:
    """Create a uniquely named database, yield its superuser URI, and drop it, even on error.

    ``owner`` is an existing role (see :func:`throwaway_role`) that will own the database.
    """
    name = unique_name(stem)
    create_database(name, owner)
    try:
        yield with_database(admin_uri(), name)
    finally:
        drop_database(name)


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
    """Run ``command`` (extra ``env`` over the current one); raise CommandFailed on failure.

    ``ALEMBIC_DB_URI`` is never inherited from the caller: a command gets it only from ``env``.
    """
    inherited = {k: v for k, v in os.environ.items() if k != "ALEMBIC_DB_URI"}
    full_env = {**inherited, **(env or {})}
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
    """Wall-clock seconds of the repeats of one measurement, and the client CPU they used.

    ``cpu`` is user + system time of the child processes (the tool itself, not the server):
    far steadier than wall-clock when other jobs load the machine or the database server.
    """

    samples: list[float]
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall-clock of the samples, in seconds."""
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        """Fastest wall-clock sample: the least disturbed by other load."""
        return min(self.samples)

    @property
    def cpu_median(self) -> float | None:
        """Median client CPU of the samples, in seconds (None when not recorded)."""
        return statistics.median(self.cpu) if self.cpu else None

    def __str__(self) -> str:
        spread = " ".join(f"{s:.3f}" for s in self.samples)
        text = f"median {format_seconds(self.median)}, samples {spread} s"
        if self.cpu_median is not None:
            text += f"; client CPU median {format_seconds(self.cpu_median)}"
        return text


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


@dataclass
class Candidate:
    """One contestant of an interleaved timing: a label and the commands of one sample."""

    label: str
    commands: Sequence[Sequence[str]]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None

    def __str__(self) -> str:
        times = f"  (×{len(self.commands)})" if len(self.commands) > 1 else ""
        return f"{self.label}: {' '.join(self.commands[0])}{times}"


def time_interleaved(
    candidates: Sequence[Candidate],
    repeat: int = 5,
    before: Callable[[], None] | None = None,
    ok_codes: Sequence[int] = (0,),
    after: Callable[[], None] | None = None,
) -> dict[str, Timing]:
    """Time every candidate ``repeat`` times, taking turns, so that load spikes on a shared
    machine hit all of them alike; return each label's samples.

    ``before`` and ``after`` run (untimed) around each sample of each candidate, e.g. to reset
    a database and to check what the command did.
    """
    timings = {c.label: Timing([], []) for c in candidates}
    for _ in range(repeat):
        for candidate in candidates:
            if before:
                before()
            cpu_start = _children_cpu()
            start = time.perf_counter()
            for command in candidate.commands:
                run(command, candidate.env, candidate.cwd, ok_codes)
            timings[candidate.label].samples.append(time.perf_counter() - start)
            timings[candidate.label].cpu.append(_children_cpu() - cpu_start)
            if after:
                after()
    return timings


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    title: str,
    candidates: Sequence[Candidate],
    repeat: int,
    skip: Collection[str] = (),
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
) -> dict[str, Timing]:
    """Time ``candidates`` interleaved, logging commands and samples to stderr.

    Candidates whose label is in ``skip`` are left out (e.g. wazo-manage-db on a dry run);
    ``before`` and ``after`` run untimed around every sample.
    """
    kept = [c for c in candidates if c.label not in skip]
    print(f"\n== {title}", file=sys.stderr)
    for candidate in kept:
        print(candidate, file=sys.stderr)
    timings = time_interleaved(kept, repeat, before, after=after)
    for label, timing in timings.items():
        print(f"  {label}: {timing}", file=sys.stderr)
    return timings


def comparison_rows(
    measurement: str,
    timings: Mapping[str, Timing],
    target: float | None,
    ours: str = "wazo-manage-db",
    peer: str = "alembic",
    floor: str | None = "psql",
    statistic: str = "median",
) -> list[Row]:
    """Two rows for one measurement: wall-clock (``statistic``: median or best) against
    ``target``, then the client CPU medians (informative: what the tool itself costs, the
    database server excluded)."""
    mine = timings.get(ours)
    low = timings.get(floor) if floor else None

    def wall_of(timing: Timing) -> float:
        return timing.best if statistic == "best" else timing.median

    wall = Row(
        measurement if statistic == "median" else f"{measurement}, best of runs",
        wall_of(mine) if mine else None,
        wall_of(timings[peer]),
        wall_of(low) if low else None,
        target,
    )
    cpu = Row(
        "↳ client CPU (user+sys)",
        mine.cpu_median if mine else None,
        timings[peer].cpu_median or 0.0,
        low.cpu_median if low else None,
    )
    return [wall, cpu]


def format_seconds(seconds: float) -> str:
    """Format a duration for a table: ``12 ms`` or ``1.23 s``."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass
class Row:
    """One line of a result table: ours against a peer tool and the floor, and a target.

    ``target`` is the highest acceptable ``ours / peer`` ratio; None means informative only.
    ``ours`` None means not measured (a dry run): the row shows ``n/a``. ``limit`` is a target
    in seconds instead (e.g. cold lint under 1 s), for a row whose peer is only a reference.
    """

    measurement: str
    ours: float | None
    peer: float
    floor: float | None = None
    target: float | None = None
    ours_label: str = "wazo-manage-db"
    limit: float | None = None

    @property
    def ratio(self) -> float | None:
        """Our time divided by the peer's (None when ours was not measured)."""
        return None if self.ours is None or not self.peer else self.ours / self.peer

    @property
    def passed(self) -> bool | None:
        """True/False against the target, None without a target or a measurement."""
        if self.limit is not None and self.ours is not None:
            return self.ours <= self.limit
        ratio = self.ratio
        return None if self.target is None or ratio is None else ratio <= self.target

    @property
    def target_text(self) -> str:
        """The target as a table shows it: ``≤ 0.8×``, ``≤ 1 s`` or ``-``."""
        if self.limit is not None:
            return f"≤ {format_seconds(self.limit)}"
        return "-" if self.target is None else f"≤ {self.target:g}×"


def markdown_table(rows: Sequence[Row], peer: str = "peer") -> str:
    """Render result rows as a markdown table; the ratio column is ours / peer (and / floor)."""
    lines = [
        f"| measurement | wazo-manage-db | {peer} | floor | ratio | target | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ours = "n/a" if row.ours is None else format_seconds(row.ours)
        floor = "-" if row.floor is None else format_seconds(row.floor)
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}×"
        if row.ours is not None and row.floor:
            ratio += f" ({row.ours / row.floor:.1f}× floor)"
        target = row.target_text
        result = {None: "-", True: "pass", False: "**FAIL**"}[row.passed]
        lines.append(
            f"| {row.measurement} | {ours} | {format_seconds(row.peer)} | {floor} "
            f"| {ratio} | {target} | {result} |"
        )
    return "\n".join(lines)


def write_manage_db_config(
    path: Path,
    db_uri: str,
    components: Mapping[str, Mapping[str, object]],
    admin: str | None = None,
    log_file: Path | None = None,
) -> Path:
    """Write a wazo-manage-db YAML config for benchmark ``components``; return its path.

    The built-in platform component is disabled, conf.d is pointed at an empty directory so
    that the host's /etc never leaks in, and the log goes next to the file.
    """
    import yaml

    conf_d = path.parent / "conf.d.empty"
    conf_d.mkdir(parents=True, exist_ok=True)
    settings: dict[str, object] = {
        "log_file": str(log_file or path.with_suffix(".log")),
        "extra_config_files": str(conf_d),
        "db_uri": db_uri,
        "components": {"asterisk": {"enabled": False}, **components},
    }
    if admin:
        settings["admin_uri"] = admin
    if os.geteuid() == 0:
        # Started as root, the tool drops to this user; the benchmark runs as root.
        settings["user"] = "root"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def write_tree_config(path: Path, tree: Any, admin_uri: str, owner: str) -> Path:
    """A config whose one component ``bench`` is ``tree`` (a gen_tree.TreeInfo) in the database
    of ``admin_uri``, owned and migrated by ``owner``."""
    return write_manage_db_config(
        path,
        with_user(admin_uri, owner),
        {
            "bench": {
                "script_location": str(tree.script_location),
                "database": database_name(admin_uri),
                "owner": owner,
                "version_table": tree.version_table,
            }
        },
        admin=admin_uri,
    )


def profile_import_time(command: Sequence[str], top: int = 15, **kwargs: object) -> str:
    """Run a ``python ...`` command once under ``-X importtime``; return the slowest imports.

    Lines are ``cumulative µs  module``, biggest first; ``kwargs`` go to :func:`run`.
    """
    proc = run([command[0], "-X", "importtime", *command[1:]], **kwargs)  # type: ignore[arg-type]
    entries = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _self, cumulative, module = line.removeprefix("import time:").split("|", 2)
            if cumulative.strip().isdigit():
                # One space separates the column; more spaces mean a nested import.
                entries.append((int(cumulative), module[1:].rstrip()))
    entries.sort(reverse=True)
    total = sum(c for c, m in entries if not m.startswith(" "))
    lines = [f"top-level imports total {total / 1000:.0f} ms"]
    lines += [f"{c / 1000:8.1f} ms {m}" for c, m in entries[:top]]
    return "\n".join(lines)


def profile_cprofile(command: Sequence[str], top: int = 25, **kwargs: object) -> str:
    """Run a ``python -m module ...`` command once under cProfile; return the top functions.

    Sorted by cumulative time; ``kwargs`` go to :func:`run`.
    """
    proc = run(
        [command[0], "-m", "cProfile", "-s", "cumulative", *command[1:]],
        **kwargs,  # type: ignore[arg-type]
    )
    lines = proc.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("ncalls"):
            return "\n".join(lines[max(0, i - 2) : i + 1 + top])
    return proc.stdout[-4000:]
