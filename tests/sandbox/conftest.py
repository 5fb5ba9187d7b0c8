"""The sandbox command as a user runs it: its own process, in a scratch dir any user may write."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pgtest import CliResult, run_tool


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
def run_sandbox(run_cli, scratch: Path) -> Callable[..., CliResult]:
    """``wazo-manage-db -c CONFIG sandbox ARGS`` in a process of its own in ``scratch``, its temp
    files in ``scratch/tmp``; ``as_user`` runs it as that OS user (the test must then run as root).

    Run by root, the command gets ``-u root``: it stays root on purpose, so the cluster code must
    hand the server to an unprivileged user itself (and a pyenv interpreter under /root keeps
    working).
    """

    def run(config: Path, *args: str, as_user: str | None = None) -> CliResult:
        return run_cli(
            "sandbox",
            *args,
            config=config,
            process=True,
            cwd=scratch,
            user=as_user,
            env={"TMPDIR": str(scratch / "tmp")},
        )

    return run


@pytest.fixture
def usable_by() -> Callable[[str], bool]:
    """Tell whether an OS user can run this interpreter (not one installed under /root)."""

    def usable(user: str) -> bool:
        try:
            probe = run_tool(code="import zlib, manage_db", user=user, cwd="/", timeout=60)
        except PermissionError:
            return False
        return probe.returncode == 0

    return usable
