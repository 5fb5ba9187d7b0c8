"""A throwaway PostgreSQL cluster: a fresh data directory in a temp dir, on a free port.

Used by ``wazo-manage-db sandbox`` and by the test suite when no server is reachable.

The cluster is driven with the server's own tools (``initdb`` and ``pg_ctl``) rather than
testing.postgresql: testing.postgresql runs ``initdb`` and ``postgres`` as the current user
(PostgreSQL refuses root), probes readiness with a password-less login (which a cluster with
password authentication rejects), and kills the server when the Python object goes away (so a
cluster cannot outlive the command for ``sandbox --keep``). ``pg_ctl`` waits for readiness with a
ping that needs no credentials, detaches the server, and gives the user a stop command they know.

Started by root, every server-side process (``initdb``, ``pg_ctl`` and so the postmaster) runs as
an unprivileged OS user through ``subprocess``'s ``user=``/``group=`` (a setuid done in the child
between fork and exec, no shell, no ``preexec_fn``), and the temp dir is handed to that user. The
calling process keeps its own identity, so it can still remove the directory afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import psycopg2

from manage_db.errors import EXIT_CONNECTION, ManageDbError

SUPERUSER = "postgres"
HOST = "127.0.0.1"
# Users a root-started cluster may run as, in order of preference, after the caller's choice.
UNPRIVILEGED_USERS = ("postgres", "nobody")
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# Where distributions put the server binaries, which are usually not on PATH (Debian).
BINDIR_PATTERNS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
)
# Each attempt picks a new port; another process may take a free port before the server binds it.
START_ATTEMPTS = 3
START_TIMEOUT_SECONDS = 60


class ClusterError(ManageDbError):
    """A throwaway cluster could not be created, started or stopped."""

    exit_code = EXIT_CONNECTION


def find_bindir(bindir: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks at ``bindir`` if given, then the directory of ``initdb`` on PATH, then the places
    distributions install the server (newest version first). Raises ClusterError if none has all
    three programs.
    """
    candidates: list[Path] = []
    if bindir is not None:
        candidates.append(Path(bindir))
    else:
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(os.path.realpath(on_path)).parent)
        for pattern in BINDIR_PATTERNS:
            candidates.extend(sorted((Path(p) for p in glob.glob(pattern)), key=_version_key)[::-1])
    for candidate in candidates:
        if all(os.access(candidate / program, os.X_OK) for program in SERVER_PROGRAMS):
            return candidate
    looked = ", ".join(str(c) for c in candidates) or "PATH"
    raise ClusterError(
        f"PostgreSQL server programs ({', '.join(SERVER_PROGRAMS)}) not found in {looked}: "
        "install the PostgreSQL server package (Debian: apt install postgresql)"
    )


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key of a bin dir by the version number in its path (``.../15/bin`` after ``.../9/``)."""
    digits = "".join(c if c.isdigit() else " " for c in str(path)).split()
    return tuple(int(d) for d in digits)


def free_port(host: str = HOST) -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def accepts_connections(uri: str, timeout_seconds: int = 3) -> bool:
    """Tell whether a server accepts a login at ``uri`` (libpq URI) right now."""
    try:
        psycopg2.connect(uri, connect_timeout=timeout_seconds).close()
    except psycopg2.Error:
        return False
    return True


def choose_run_as(preferred: str | None = None) -> str | None:
    """Return the OS user server processes must run as: None unless we are root.

    PostgreSQL refuses to run as root, so root hands the cluster to ``preferred`` when that user
    exists, else to ``postgres``, else to ``nobody``.
    """
    if os.geteuid() != 0:
        return None
    for name in (preferred, *UNPRIVILEGED_USERS):
        if not name or name == "root":
            continue
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ClusterError(
        "running as root and no unprivileged user (postgres, nobody) exists to run PostgreSQL"
    )


class ThrowawayCluster:
    """A fresh PostgreSQL cluster in a temp dir, listening on 127.0.0.1 on a free port.

    Use as a context manager, or call ``start()`` and ``stop()``. ``stop()`` shuts the server down
    and removes the directory; ``detach()`` forgets the cluster instead, leaving it running (see
    ``stop_command()``). With ``password_auth=True`` every connection, local or TCP, must pass a
    SCRAM-SHA-256 password: the superuser's is ``password``.
    """

    def __init__(
        self,
        *,
        password_auth: bool = False,
        run_as: str | None = None,
        bindir: str | os.PathLike[str] | None = None,
        parent_dir: str | os.PathLike[str] | None = None,
        server_settings: Sequence[str] = (),
        primary: ThrowawayCluster | None = None,
    ) -> None:
        self.password: str | None = secrets.token_urlsafe(18) if password_auth else None
        self.bindir = find_bindir(bindir)
        self.run_as = choose_run_as(run_as)
        self._parent_dir = parent_dir
        # Extra postgresql.conf lines (``log_statement = 'all'``), appended after ours.
        self._server_settings = tuple(server_settings)
        self.base_dir: Path | None = None
        self.port: int | None = None
        self._running = False
        # A streaming standby of ``primary`` (``pg_basebackup -R``) instead of a fresh cluster.
        self.primary = primary
        if primary is not None:
            self.password, self.bindir, self.run_as = (
                primary.password,
                primary.bindir,
                primary.run_as,
            )

    @property
    def directory(self) -> Path:
        """The temp dir holding everything: data dir, server log, Unix socket."""
        if self.base_dir is None:
            raise ClusterError("the throwaway cluster was not started")
        return self.base_dir

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (``pg_ctl -D``)."""
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        """The server's log file."""
        return self.directory / "server.log"

    def __enter__(self) -> ThrowawayCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> ThrowawayCluster:
        """Create the cluster and start its server; on any failure remove what was made."""
        if self._running:
            return self
        self.base_dir = Path(
            tempfile.mkdtemp(prefix="wazo-manage-db-cluster-", dir=self._parent_dir)
        )
        try:
            self._hand_over(self.base_dir)
            if self.primary is not None:
                self._base_backup(self.primary)
            else:
                self._initdb()
            self._start_server()
        except BaseException:
            self._remove_files()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and remove the cluster's directory; safe to call twice."""
        try:
            if self._running:
                self._stop_server()
        finally:
            self._remove_files()

    def detach(self) -> None:
        """Leave the server running and its files in place; ``stop()`` becomes a no-op."""
        self._running = False
        self.base_dir = None

    def uri(
        self,
        database: str = "postgres",
        user: str = SUPERUSER,
        password: str | None = None,
    ) -> str:
        """libpq URI to ``database`` on this cluster; the superuser's password by default."""
        if self.port is None:
            raise ClusterError("the throwaway cluster was not started")
        if password is None and user == SUPERUSER:
            password = self.password
        credentials = quote(user, safe="")
        if password is not None:
            credentials += ":" + quote(password, safe="")
        return f"postgresql://{credentials}@{HOST}:{self.port}/{quote(database, safe='')}"

    def admin_uri(self, database: str = "postgres") -> str:
        """Superuser URI (with its password, if any) to ``database``."""
        return self.uri(database)

    def redirect(self, uri: str) -> str:
        """``uri`` pointed at this cluster: same role, password, database and options."""
        from manage_db.dao.connection import build_uri, parse_uri

        if self.port is None:
            raise ClusterError("the throwaway cluster was not started")
        # Keywords that would still lead to (or require TLS from) the configured server go.
        params = {
            key: value
            for key, value in parse_uri(uri).items()
            if key not in ("hostaddr", "service") and not key.startswith("ssl")
        }
        params.update(host=HOST, port=str(self.port))
        return build_uri(params)

    def standby(self) -> ThrowawayCluster:
        """A new streaming standby of this (running) cluster, started: a base backup with its
        ``standby.signal`` and ``primary_conninfo`` (``pg_basebackup -R``). Stop it first."""
        return ThrowawayCluster(primary=self, parent_dir=self._parent_dir).start()

    def promote(self) -> None:
        """Make this standby a primary (``pg_ctl promote``, waiting until it accepts writes)."""
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60", "promote"],
            "pg_ctl promote",
        )

    def kill(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``: a crash, no shutdown checkpoint),
        keeping its files; ``stop()`` still removes them."""
        if self._running:
            self._run(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-w",
                    "-m",
                    "immediate",
                    "stop",
                ],
                "pg_ctl stop",
            )
            self._running = False

    def stop_command(self) -> str:
        """The shell command that stops the server and removes its directory."""
        pg_ctl = shlex.quote(str(self.bindir / "pg_ctl"))
        stop = f"{pg_ctl} -D {shlex.quote(str(self.data_dir))} stop"
        if self.run_as is not None:
            stop = f"runuser -u {shlex.quote(self.run_as)} -- {stop}"
        return f"{stop} && rm -rf {shlex.quote(str(self.directory))}"

    def _initdb(self) -> None:
        args = [
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
        pwfile = self.directory / "superuser-password"
        if self.password is not None:
            pwfile.write_text(self.password + "\n")
            pwfile.chmod(0o600)
            self._hand_over(pwfile)
            args += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["--auth=trust"]
        try:
            self._run(args, "initdb")
        finally:
            pwfile.unlink(missing_ok=True)

    def _base_backup(self, primary: ThrowawayCluster) -> None:
        if primary.port is None:
            raise ClusterError("the primary of a throwaway standby is not running")
        args = [str(self.bindir / "pg_basebackup"), "-h", HOST, "-p", str(primary.port)]
        args += ["-U", SUPERUSER, "-D", str(self.data_dir), "-R", "-X", "stream", "-c", "fast"]
        self._run([*args, "--no-sync"], "pg_basebackup", password=primary.password)

    def _start_server(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            self._write_server_settings(self.port)
            try:
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_file),
                        "-t",
                        str(START_TIMEOUT_SECONDS),
                        "-w",
                        "start",
                    ],
                    "pg_ctl start",
                )
            except ClusterError:
                if attempt == START_ATTEMPTS or "already in use" not in self._log_tail():
                    raise
                continue
            self._running = True
            return

    def _write_server_settings(self, port: int) -> None:
        # Appended settings win over earlier lines, so a retry on another port just appends again.
        socket_dir = str(self.directory).replace("'", "''")
        settings = [
            f"port = {port}",
            f"listen_addresses = '{HOST}'",
            f"unix_socket_directories = '{socket_dir}'",
            "logging_collector = off",
            "lc_messages = 'C'",
            # Throwaway data: durability is not worth the time.
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            *self._server_settings,
        ]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# wazo-manage-db throwaway cluster\n" + "\n".join(settings) + "\n")

    def _stop_server(self) -> None:
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-w"]
        try:
            self._run([*pg_ctl, "-m", "fast", "stop"], "pg_ctl stop")
        except ClusterError:
            self._run([*pg_ctl, "-m", "immediate", "stop"], "pg_ctl stop")
        self._running = False

    def _remove_files(self) -> None:
        if self.base_dir is not None and not self._running:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def _hand_over(self, path: Path) -> None:
        """Give ``path`` to the user the server runs as (root only)."""
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, args: list[str], what: str, password: str | None = None) -> None:
        """Run a server program as the cluster's user; a ClusterError with its last words."""
        uid = gid = None
        extra_groups: list[int] | None = None
        # PG* variables of the caller (PGDATA, PGPORT…) must not steer the throwaway cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        if password is not None:
            env["PGPASSWORD"] = password
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            uid, gid, extra_groups = entry.pw_uid, entry.pw_gid, []
            env["HOME"] = str(self.directory)
        try:
            completed = subprocess.run(
                args,
                cwd=self.directory,  # the caller's cwd may be closed to the server's user
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                user=uid,
                group=gid,
                extra_groups=extra_groups,
            )
        except OSError as error:
            raise ClusterError(f"cannot run {args[0]}: {error}") from error
        if completed.returncode != 0:
            said = _telling_line(completed.stdout, self._log_tail())
            who = f" as {self.run_as}" if self.run_as else ""
            raise ClusterError(f"{what} failed{who} in {self.data_dir}: {said}")

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _telling_line(output: str, log: str) -> str:
    """The line that says why a server program failed: its last error, else its last line."""
    lines = [line.strip() for line in (output + "\n" + log).splitlines() if line.strip()]
    errors = [line for line in lines if "FATAL" in line or "error:" in line or "ERROR" in line]
    if errors:
        return errors[-1]
    return lines[-1] if lines else "no output"


@contextlib.contextmanager
def start_test_cluster(password_auth: bool = False) -> Iterator[str]:
    """Run a throwaway cluster for a test session; yield its superuser URI, remove it after.

    For tests/conftest.py when no server answers at PGHOST/127.0.0.1:5432.
    """
    with ThrowawayCluster(password_auth=password_auth) as cluster:
        yield cluster.admin_uri()
