"""Run wazo-manage-db as a user would: a separate process, in a world-readable scratch dir."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RunCli = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory any user can write (tmp_path is closed to the unprivileged user)."""
    path = Path(tempfile.mkdtemp(prefix="wazo-manage-db-test-"))
    path.chmod(0o1777)
    (path / "tmp").mkdir(mode=0o1777)
    (path / "tmp").chmod(0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def write_config(scratch: Path) -> Callable[[dict], Path]:
    """Write a config file in the scratch dir, logging there too."""

    def write(settings: dict) -> Path:
        path = scratch / "config.yml"
        path.write_text(yaml.safe_dump({"log_file": str(scratch / "manage-db.log"), **settings}))
        path.chmod(0o644)
        return path

    return write


@pytest.fixture
def run_cli(scratch: Path) -> RunCli:
    """Run ``python -m manage_db ARGS`` with its temp files in ``scratch/tmp``.

    ``as_user`` runs it as that OS user (the test must then run as root). Run by root, the
    command gets ``-u root``: it stays root on purpose, so the cluster code must hand the server
    to an unprivileged user itself (and a pyenv interpreter under /root keeps working).
    """

    def run(*args: str, as_user: str | None = None) -> subprocess.CompletedProcess:
        global_options = ["-u", "root"] if os.geteuid() == 0 and as_user is None else []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "ALEMBIC_"))}
        env.update(PYTHONPATH=str(REPO), TMPDIR=str(scratch / "tmp"), PYTHONDONTWRITEBYTECODE="1")
        user_switch: dict = {}
        if as_user is not None:
            entry = pwd.getpwnam(as_user)
            user_switch = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            env.update(HOME=str(scratch), USER=as_user, LOGNAME=as_user)
        return subprocess.run(
            [sys.executable, "-m", "manage_db", *global_options, *args],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,  # a hang guard, not a measure
            **user_switch,
        )

    return run


@pytest.fixture
def usable_by() -> Callable[[str], bool]:
    """Tell whether an OS user can run this interpreter (not one installed under /root)."""

    def usable(user: str) -> bool:
        entry = pwd.getpwnam(user)
        try:
            probe = subprocess.run(
                [sys.executable, "-c", "import zlib, manage_db"],
                env={"PYTHONPATH": str(REPO)},
                cwd="/",
                capture_output=True,
                check=False,
                user=entry.pw_uid,
                group=entry.pw_gid,
                extra_groups=[],
            )
        except PermissionError:
            return False
        return probe.returncode == 0

    return usable
