"""Plain helpers the tests share (the fixtures over them are in conftest.py).

Throwaway roles and databases are made and dropped with manage_db.dao.throwaway, as verify and
the benchmarks make theirs; the tool runs as a user runs it with ``run_tool`` and ``start_tool``.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2

from manage_db.dao import throwaway
from manage_db.dao.connection import connect

REPO = Path(__file__).resolve().parent.parent


def unique(prefix: str) -> str:
    """``prefix`` and random hex digits: a name no other test on the shared server uses."""
    return throwaway.unique_name(prefix)


def throwaway_names(cleanup: Callable[..., None], stem: str) -> tuple[str, str]:
    """A unique (role, database) pair for the tool to create, registered with the ``cleanup``
    fixture to be dropped at teardown."""
    role, database = unique(stem), unique(stem)
    cleanup(role=role)
    cleanup(database=database)
    return role, database


@contextmanager
def admin_connection(admin_uri: str) -> Iterator[Any]:
    """An autocommit connection, for manage_db.dao.throwaway's create_* and drop_*."""
    connection = connect(admin_uri)
    try:
        yield connection
    finally:
        connection.close()


def admin_execute(admin_uri: str, *statements) -> None:
    with admin_connection(admin_uri) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def with_db(uri: str, database: str, user: str | None = None, password: str | None = None) -> str:
    """The same server URI pointed at another database (and user)."""
    from manage_db.dao.connection import build_uri, parse_uri

    params = parse_uri(uri)
    params["dbname"] = database
    if user:
        params["user"] = user
        params.pop("password", None)
    if password:
        params["password"] = password
    return build_uri(params)


def query(uri: str, statement, *args) -> list[tuple]:
    """Rows of one statement, on a connection of its own."""
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, args or None)
            return cur.fetchall()
    finally:
        conn.close()


def server_settings(
    admin_uri: str, role: str, database: str, password: str | None = None, **components: dict
) -> dict:
    """Settings of these components, all in ``database`` owned by ``role`` (with ``password``)
    on ``admin_uri``'s server, the platform component disabled and no plugins."""
    return {
        "db_uri": with_db(admin_uri, database, role, password),
        "admin_uri": admin_uri,
        "plugins": False,
        "components": {"asterisk": {"enabled": False}, **components},
    }


def demo_settings(
    admin_uri: str, role: str, database: str, location: Path, version_table: str, /, **own: object
) -> dict:
    """Settings of one component ``demo`` (tree ``location``) owned by ``role`` in ``database``
    (see server_settings); ``own`` adds to the component's section."""
    demo = {
        "script_location": str(location),
        "database": database,
        "owner": role,
        "version_table": version_table,
        **own,
    }
    return server_settings(admin_uri, role, database, demo=demo)


def install_plugin(
    site: Path, module: str, body: str, name: str = "wazo_fake_daemon", entry: str = "fakechatd"
) -> None:
    """Install a plugin distribution the way pip lays it out in ``site``: a module and its
    dist-info declaring ``entry = module:COMPONENT`` under ``wazo_manage_db.components``."""
    (site / f"{module}.py").write_text(textwrap.dedent(body))
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[wazo_manage_db.components]\n{entry} = {module}:COMPONENT\n"
    )


def write_revision(location: Path, rev: str, down: str | None, up: str, downgrade: str) -> Path:
    """A revision file of the tree at ``location`` whose upgrade and downgrade bodies are given."""
    path = location / "versions" / f"{rev}_step.py"
    path.write_text(
        f'"""step {rev}"""\n\nfrom alembic import op\n\n'
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n{textwrap.indent(textwrap.dedent(up).strip(), '    ')}\n\n\n"
        f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
    )
    return path


class CliResult:
    """What a user sees: exit code, standard output, standard error."""

    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def __repr__(self) -> str:
        return f"<exit {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def tool_environment(*pythonpath: Path | str, **variables: str) -> dict[str, str]:
    """The caller's environment without PG* and ALEMBIC_* (the tool reaches the server its
    config names, nothing else), ``pythonpath`` then the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "ALEMBIC_"))}
    path = os.pathsep.join(str(p) for p in (*pythonpath, REPO))
    env.update(PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1", **variables)
    return env


def _invocation(
    args: Sequence[str],
    *,
    config: Path | None = None,
    stay_root: bool = True,
    code: str | None = None,
    user: str | None = None,
    pythonpath: Sequence[Path | str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | str = REPO,
) -> tuple[list[str], dict[str, Any]]:
    """The command line and the Popen arguments of one run of the tool (see run_tool)."""
    variables = dict(env or {})
    options: dict[str, Any] = {"cwd": cwd, "text": True}
    if user is not None:
        entry = pwd.getpwnam(user)
        options.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        variables.update(HOME=str(cwd), USER=user, LOGNAME=user)
    options["env"] = tool_environment(*pythonpath, **variables)
    command = [sys.executable, *(["-c", code] if code else ["-m", "manage_db"])]
    if stay_root and user is None and os.geteuid() == 0:
        command += ["-u", "root"]
    if config is not None:
        command += ["-c", str(config)]
    return [*command, *args], options


def run_tool(*args: str, timeout: float = 300, **how: Any) -> subprocess.CompletedProcess:
    """``python -m manage_db ARGS`` in a process of its own, as a user runs it; its output kept.

    ``config``: ``-c CONFIG``. As root, ``-u root`` keeps the process root on purpose (unless
    ``stay_root`` is False: then it drops to its configured user): the default user may not
    exist here, and dropping cannot work when the interpreter lives in a directory closed to
    that user (a pyenv Python under /root). ``user``: run as that OS user instead (the test
    must run as root). ``code``: ``python -c CODE`` instead of ``-m manage_db``, a probe that
    starts the command line itself. ``pythonpath`` goes before the checkout; ``env`` adds
    variables (see tool_environment); ``cwd`` defaults to the checkout. ``timeout`` is a hang
    guard, not a measure.
    """
    command, options = _invocation(args, **how)
    return subprocess.run(command, capture_output=True, check=False, timeout=timeout, **options)


def start_tool(*args: str, output: int | None = subprocess.PIPE, **how: Any) -> subprocess.Popen:
    """The tool in the background (see run_tool), for a test that signals or races it;
    ``output`` is where its stdout and stderr go."""
    command, options = _invocation(args, **how)
    return subprocess.Popen(command, stdout=output, stderr=output, **options)
