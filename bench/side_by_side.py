"""Plain alembic and wazo-manage-db side by side on a set of alembic trees.

    python bench/side_by_side.py [--public DIR ...] [--python PY] [--repeat 5] [--before CHECKOUT]

Trees: ours (the platform tree ``alembic/``, ``tests/fixtures/daemons/*``,
``tests/fixtures/verify/*``, and a generated 20-revision daemon-style tree), plus every directory
given with ``--public`` (an alembic script directory, or a folder holding several: a copy of a
public project's tree, kept out of this repository), and with ``--public-generic-env`` the trees
whose env.py is bound to their application, run with an env.py of ours instead. Each tree runs
in throwaway databases and roles of its own, dropped after. Per tree:

- **outcome**: ``alembic upgrade heads`` (its own env.py, ``ALEMBIC_DB_URI`` and
  ``sqlalchemy.url`` set to an owner connection) and ``wazo-manage-db init`` + ``upgrade`` of
  the tree as a component: exit codes, the same or not;
- **schema**: ``pg_dump -s -O -x`` of both databases after the upgrade, diffed (the objects only
  wazo-manage-db makes, its own bookkeeping tables, are named and left out);
- **round trip**: alembic's own ``upgrade heads; downgrade base; upgrade heads`` on a fresh
  database against ``wazo-manage-db verify``'s defects.

Then the upgrade time of the generated 20-revision tree, both tools taking turns on fresh
databases (``--repeat`` samples each, medians; the machine is shared: wall and client CPU).
``--before CHECKOUT``: that checkout's wazo-manage-db (run with the same interpreter) takes its
turn too, so a change's before and after are measured in one run.

``--public-pythonpath``: what the public trees' env.py imports (e.g. a stand-in for a daemon's
models package; ``target_metadata`` matters only to autogenerate).
``--python``: the interpreter whose alembic and wazo-manage-db run (default: this one; each runs
from a temporary directory so that a checkout's own ``manage_db`` is not picked up by accident).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2

REPO = Path(__file__).resolve().parent.parent
ADMIN_URI = os.environ.get("BENCH_ADMIN_URI", "postgresql://postgres@127.0.0.1:5432/postgres")
HOST = "127.0.0.1:5432"
EXTENSIONS = ("uuid-ossp", "unaccent", "pgcrypto", "hstore")
STEP_TIMEOUT = 600
CONFIG_SETTLE = 2.5  # seconds: manage_db.dao.user_cache.RACY_NS and a margin
BEFORE = "wazo-manage-db before"  # the label of --before's candidate
INI = """[alembic]
script_location = {location}
sqlalchemy.url = {url}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)s %%(name)s %%(message)s
"""


@dataclass
class Tree:
    name: str
    location: Path
    version_table: str
    pythonpath: str = ""
    origin: str = "ours"


def version_table_of(location: Path) -> str:
    """The version table env.py configures (a constant or a configure() keyword)."""
    try:
        module = ast.parse((location / "env.py").read_text())
    except (OSError, SyntaxError):
        return "alembic_version"
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            if any(getattr(t, "id", "").upper() == "VERSION_TABLE" for t in node.targets):
                return str(node.value.value)
        if isinstance(node, ast.keyword) and node.arg == "version_table":
            if isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return "alembic_version"


def our_trees(workdir: Path, python: str) -> list[Tree]:
    trees = [Tree("platform", REPO / "alembic", "alembic_version")]
    site = str(REPO / "tests" / "fixtures" / "daemons" / "site")
    for daemon in sorted((REPO / "tests" / "fixtures" / "daemons").iterdir()):
        if (daemon / "alembic" / "env.py").is_file():
            location = daemon / "alembic"
            trees.append(Tree(f"daemon-{daemon.name}", location, version_table_of(location), site))
    for case in sorted((REPO / "tests" / "fixtures" / "verify").iterdir()):
        if (case / "env.py").is_file():
            trees.append(Tree(f"verify-{case.name}", case, version_table_of(case)))
    generated = workdir / "generated20"
    subprocess.run(
        [python, str(REPO / "bench" / "gen_tree.py"), "--revisions", "20", "--out", str(generated)],
        check=True, capture_output=True, timeout=STEP_TIMEOUT,
    )  # fmt: skip
    location = next(p.parent for p in generated.rglob("env.py"))
    trees.append(Tree("generated-20", location, version_table_of(location)))
    return trees


def public_trees(folders: list[Path], pythonpath: str = "") -> list[Tree]:
    found = []
    for folder in folders:
        for env in sorted(folder.rglob("env.py")):
            location = env.parent
            if (location / "versions").is_dir():
                name = f"{folder.name}/{location.relative_to(folder)}".rstrip("/.")
                table = version_table_of(location)
                found.append(Tree(name, location, table, pythonpath, origin="public"))
    return found


# An env.py of our own for public trees whose env.py is bound to their application (a hard-coded
# URL, the app's settings imported): the URL from ALEMBIC_DB_URI, alembic's defaults otherwise.
GENERIC_ENV = """import os

from alembic import context
from sqlalchemy import create_engine, pool

URL = os.environ.get("ALEMBIC_DB_URI") or context.config.get_main_option("sqlalchemy.url")

if context.is_offline_mode():
    context.configure(url=URL)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(URL, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
"""


def with_generic_env(trees: list[Tree], workdir: Path) -> list[Tree]:
    """Copies of ``trees`` (their versions/ and any files beside) with GENERIC_ENV as env.py."""
    import shutil

    copies = []
    for tree in trees:
        target = workdir / "generic" / tree.name.replace("/", "_")
        shutil.copytree(tree.location, target, ignore=shutil.ignore_patterns("__pycache__"))
        (target / "env.py").write_text(GENERIC_ENV)
        copies.append(Tree(tree.name + " (our env.py)", target, "alembic_version",
                           tree.pythonpath, tree.origin))  # fmt: skip
    return copies


# --- databases ---------------------------------------------------------------------------------


def admin(sql: str, database: str = "postgres") -> None:
    connection = psycopg2.connect(ADMIN_URI.rsplit("/", 1)[0] + f"/{database}")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class Throwaway:
    """A role and a database it owns, the platform's extensions made; dropped on close."""

    def __init__(self, stem: str, create: bool = True) -> None:
        self.name = f"sbs_{stem}_{uuid.uuid4().hex[:10]}"
        self.created = create
        if create:
            admin(f'CREATE ROLE "{self.name}" LOGIN')
            admin(f'CREATE DATABASE "{self.name}" OWNER "{self.name}"')
            for extension in EXTENSIONS:
                admin(f'CREATE EXTENSION IF NOT EXISTS "{extension}"', self.name)

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://{self.name}@{HOST}/{self.name}"

    @property
    def plain_uri(self) -> str:
        return f"postgresql://{self.name}@{HOST}/{self.name}"

    def close(self) -> None:
        admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin(f'DROP ROLE IF EXISTS "{self.name}"')


def dump_schema(database: str, version_table: str) -> list[str]:
    """``pg_dump -s -O -x`` lines, without wazo-manage-db's history table (it has no peer)."""
    own = f"{version_table}_history*"
    done = subprocess.run(
        ["pg_dump", "-s", "-O", "-x", "-T", own, "-h", "127.0.0.1", "-U", "postgres",
         "-d", database],
        capture_output=True, text=True, timeout=STEP_TIMEOUT, check=True,
    )  # fmt: skip
    return [
        line
        for line in done.stdout.splitlines()
        if line.strip()
        and not line.startswith(("--", "\\restrict", "\\unrestrict", "SET "))
        and not line.startswith("SELECT pg_catalog.set_config")
    ]


# --- the two tools -----------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    seconds: float
    cpu: float
    last_line: str


def run(command: list[str], env: dict[str, str], cwd: Path) -> Result:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT
        )
        code, output = done.returncode, (done.stderr.strip() or done.stdout.strip())
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {STEP_TIMEOUT} s"
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Result(code, seconds, cpu, telling_line(output))


def telling_line(output: str) -> str:
    """The line of an error output that names the problem (not SQLAlchemy's footers)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line.split(":")[0] or "Error)" in line]
    if errors:
        return errors[-1][:160]
    for line in reversed(lines):
        if not line.startswith(("(Background on this error", "[SQL:", "[parameters:")):
            return line[:160]
    return ""


class Tools:
    def __init__(self, python: str, workdir: Path, checkout: Path | None = None) -> None:
        self.python = python
        self.workdir = workdir
        self.checkout = checkout  # wazo-manage-db from this checkout instead of the installed one

    def env(self, tree: Tree, uri: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("ALEMBIC_DB_URI", "PYTHONPATH")}
        path = [str(p) for p in (self.checkout, tree.pythonpath) if p]
        if path:
            env["PYTHONPATH"] = os.pathsep.join(path)
        if uri:
            env["ALEMBIC_DB_URI"] = uri
        return env

    def alembic(self, tree: Tree, database: Throwaway, *args: str) -> Result:
        ini = self.workdir / f"{database.name}.ini"
        ini.write_text(INI.format(location=tree.location, url=database.uri))
        command = [self.python, "-m", "alembic", "-c", str(ini), *args]
        return run(command, self.env(tree, database.uri), self.workdir)

    def manage_db(self, tree: Tree, database: Throwaway, *args: str) -> Result:
        config = self.config(tree, database)
        command = [self.python, "-m", "manage_db", "-c", str(config), "--log-file", "/dev/null",
                   "-u", "root", *args]  # fmt: skip
        return run(command, self.env(tree), self.workdir)

    def config(self, tree: Tree, database: Throwaway) -> Path:
        """wazo-manage-db's configuration for ``database`` (written at the first call)."""
        config = self.workdir / f"{database.name}.yml"
        if config.exists():
            return config
        component = {
            "script_location": str(tree.location),
            "database": database.name,
            "owner": database.name,
            "version_table": tree.version_table,
            "extensions": list(EXTENSIONS),
        }
        settings = {
            "plugins": False,
            "admin_uri": ADMIN_URI,
            "db_uri": database.plain_uri,
            "components": {"asterisk": {"enabled": False}, "tree": component},
        }
        config.write_text(json.dumps(settings))
        return config


# --- per tree ----------------------------------------------------------------------------------


def compare_tree(tools: Tools, tree: Tree) -> dict[str, object]:
    row: dict[str, object] = {"tree": tree.name, "origin": tree.origin}
    plain = Throwaway("a")
    ours = Throwaway("m", create=False)
    try:
        upgraded = tools.alembic(tree, plain, "upgrade", "heads")
        init = tools.manage_db(tree, ours, "init", "--component", "tree")
        mine = tools.manage_db(tree, ours, "upgrade", "--component", "tree")
        row["alembic"] = (
            "ok" if upgraded.code == 0 else f"exit {upgraded.code}: {upgraded.last_line}"
        )
        row["manage_db"] = (
            f"init exit {init.code}: {init.last_line}"
            if init.code
            else ("ok" if mine.code == 0 else f"exit {mine.code}: {mine.last_line}")
        )
        row["same_outcome"] = (upgraded.code == 0) == (init.code == 0 and mine.code == 0)
        if upgraded.code == 0 and mine.code == 0 and init.code == 0:
            row.update(schema_diff(plain.name, ours.name, tree.version_table))
    finally:
        plain.close()
        ours.close()
    row.update(round_trips(tools, tree))
    return row


def schema_diff(plain: str, ours: str, version_table: str) -> dict[str, object]:
    left, right = dump_schema(plain, version_table), dump_schema(ours, version_table)
    diff = [
        line
        for line in difflib.unified_diff(left, right, lineterm="", n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    return {"same_schema": not diff, "schema_diff": diff[:12]}


def round_trips(tools: Tools, tree: Tree) -> dict[str, object]:
    """alembic's own up / down / up on a fresh database, and verify's defects."""
    plain = Throwaway("r")
    try:
        outcome = "ok"
        steps = (("upgrade", "heads"), ("downgrade", "base"), ("upgrade", "heads"))
        for number, step in enumerate(steps, 1):
            result = tools.alembic(tree, plain, *step)
            if result.code:
                outcome = f"step {number} ({' '.join(step)}) failed: {result.last_line}"
                break
    finally:
        plain.close()
    code, stdout, stderr = verify(tools, tree)
    try:
        report = json.loads(stdout)[0]
        defects = [f"{d['revision']} {d['step']}: {d['message'][:90]}" for d in report["defects"]]
        if report.get("stopped"):
            defects.append(f"stopped: {report['stopped']}")
    except (ValueError, LookupError, TypeError):
        defects = [f"exit {code}: {telling_line(stderr or stdout) or 'no output'}"]
    return {"alembic_up_down_up": outcome, "verify": "clean" if code == 0 else "defects",
            "verify_defects": defects}  # fmt: skip


def verify(tools: Tools, tree: Tree) -> tuple[int, str, str]:
    """wazo-manage-db verify --json of the tree (a throwaway database and role of its own)."""
    config = tools.workdir / f"verify_{uuid.uuid4().hex[:8]}.yml"
    component = {
        "script_location": str(tree.location),
        "version_table": tree.version_table,
        "extensions": list(EXTENSIONS),
        "owner": f"sbs_no_such_role_{uuid.uuid4().hex[:8]}",
    }
    settings = {
        "plugins": False,
        "admin_uri": ADMIN_URI,
        "components": {"asterisk": {"enabled": False}, "tree": component},
    }
    config.write_text(json.dumps(settings))
    command = [tools.python, "-m", "manage_db", "-c", str(config), "--log-file", "/dev/null",
               "-u", "root", "verify", "--component", "tree", "--json"]  # fmt: skip
    try:
        done = subprocess.run(
            command, env=tools.env(tree), cwd=tools.workdir, capture_output=True, text=True,
            timeout=STEP_TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {STEP_TIMEOUT} s"
    return done.returncode, done.stdout, done.stderr


# --- upgrade time of the small tree ------------------------------------------------------------


def time_upgrades(
    tools: Tools, tree: Tree, repeat: int, before: Tools | None = None
) -> dict[str, list[tuple[float, float]]]:
    """(wall, client CPU) of each tool's upgrade of ``tree`` on fresh databases, taking turns;
    the databases are made (and for wazo-manage-db, init run) before the clock starts.
    ``before``: another checkout's wazo-manage-db, taking its turn after ours."""
    ours = {"wazo-manage-db": tools, **({BEFORE: before} if before else {})}
    samples: dict[str, list[tuple[float, float]]] = {"alembic": [], **{k: [] for k in ours}}
    # As deployed, the configuration is older than the run: written here, then left to settle
    # past the window in which wazo-manage-db does not cache a file just changed (RACY_NS).
    databases = {k: [Throwaway("tm", create=False) for _ in range(repeat)] for k in ours}
    for label, each in databases.items():
        for database in each:
            ours[label].config(tree, database)
    time.sleep(CONFIG_SETTLE)
    for sample in range(repeat):
        plain = Throwaway("ta")
        try:
            result = tools.alembic(tree, plain, "upgrade", "heads")
            assert result.code == 0, result
            samples["alembic"].append((result.seconds, result.cpu))
        finally:
            plain.close()
        turns = list(ours.items())
        for label, tool in turns[::-1] if sample % 2 else turns:  # neither always goes first
            samples[label].append(_timed_upgrade(tool, tree, databases[label][sample]))
    return samples


def _timed_upgrade(tools: Tools, tree: Tree, database: Throwaway) -> tuple[float, float]:
    """(wall, client CPU) of wazo-manage-db's upgrade of ``tree`` (init run first, untimed)."""
    try:
        init = tools.manage_db(tree, database, "init", "--component", "tree")
        assert init.code == 0, init
        result = tools.manage_db(tree, database, "upgrade", "--component", "tree")
        assert result.code == 0, result
        return result.seconds, result.cpu
    finally:
        database.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, action="append", default=[])
    parser.add_argument(
        "--public-generic-env",
        type=Path,
        action="append",
        default=[],
        help="public trees whose env.py is bound to their application: run with ours",
    )
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument(
        "--public-pythonpath", default="", help="PYTHONPATH of the public trees (stand-ins)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", help="only trees whose name contains this")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout: its wazo-manage-db (with this interpreter) timed in turn too",
    )
    args = parser.parse_args()
    # An installed package has its bytecode: no tool recompiles its modules at every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="side_by_side_") as directory:
        workdir = Path(directory)
        tools = Tools(args.python, workdir)
        trees = our_trees(workdir, args.python) + public_trees(args.public, args.public_pythonpath)
        generic = public_trees(args.public_generic_env, args.public_pythonpath)
        trees += with_generic_env(generic, workdir)
        if args.only:
            trees = [t for t in trees if args.only in t.name]
        rows = [report_tree(tools, tree) for tree in trees]
        summary(rows)
        small = next((t for t in trees if t.name == "generated-20"), None)
        if small is not None and not args.no_timing:
            before = Tools(args.python, workdir, args.before.resolve()) if args.before else None
            timing(tools, small, args.repeat, before)
    return 0


def report_tree(tools: Tools, tree: Tree) -> dict[str, object]:
    row = compare_tree(tools, tree)
    print(f"\n## {row['tree']} ({row['origin']})")
    print(f"  upgrade: alembic {row['alembic']}; wazo-manage-db {row['manage_db']}; "
          f"same outcome: {row['same_outcome']}")  # fmt: skip
    if "same_schema" in row:
        verdict = "same" if row["same_schema"] else "DIFFERENT"
        print(f"  schema (pg_dump -s -O -x, its history table left out): {verdict}")
        for line in row["schema_diff"]:  # type: ignore[attr-defined]
            print(f"    {line}")
    print(f"  alembic up/down/up: {row['alembic_up_down_up']}; verify: {row['verify']}")
    for defect in row["verify_defects"]:  # type: ignore[attr-defined]
        print(f"    verify: {defect}")
    sys.stdout.flush()
    return row


def summary(rows: list[dict[str, object]]) -> None:
    same_outcome = sum(bool(r["same_outcome"]) for r in rows)
    compared = [r for r in rows if "same_schema" in r]
    same_schema = sum(bool(r["same_schema"]) for r in compared)
    alembic_rt_fails = [r for r in rows if r["alembic_up_down_up"] != "ok"]
    verify_fails = [r for r in rows if r["verify"] != "clean"]
    both = [r for r in verify_fails if r in alembic_rt_fails]
    print(f"\n== {len(rows)} trees: same outcome {same_outcome}/{len(rows)}; same schema "
          f"{same_schema}/{len(compared)} (both upgraded); alembic up/down/up fails on "
          f"{len(alembic_rt_fails)}, verify reports defects on {len(verify_fails)} "
          f"({len(both)} of them where alembic's up/down/up fails too)")  # fmt: skip


def timing(tools: Tools, tree: Tree, repeat: int, before: Tools | None = None) -> None:
    samples = time_upgrades(tools, tree, repeat, before)
    medians = {
        tool: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
        for tool, s in samples.items()
    }
    alembic, ours = medians["alembic"], medians["wazo-manage-db"]
    print(f"\n== upgrade of {tree.name} ({repeat} samples each, interleaved, medians; shared "
          f"machine, load average {os.getloadavg()[0]:.1f}): alembic {alembic[0]:.3f} s (CPU "
          f"{alembic[1]:.3f} s), wazo-manage-db {ours[0]:.3f} s (CPU {ours[1]:.3f} s): "
          f"{ours[0] / alembic[0]:.2f}x wall, {ours[1] / alembic[1]:.2f}x CPU "
          "(target <= 1x)")  # fmt: skip
    if before is not None:
        then = medians[BEFORE]
        print(f"   {BEFORE} ({before.checkout}): {then[0]:.3f} s (CPU {then[1]:.3f} s): "
              f"{then[0] / alembic[0]:.2f}x wall, {then[1] / alembic[1]:.2f}x CPU; this "
              f"checkout against it {ours[0] / then[0]:.2f}x wall, "
              f"{ours[1] / then[1]:.2f}x CPU")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
