"""The command run as a user would run it: a separate process, its own config file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="wazo-manage-db-auth-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def write_config(workdir: Path) -> Callable[[dict], Path]:
    """Write a config file, logging beside it."""

    def write(settings: dict) -> Path:
        path = workdir / "config.yml"
        path.write_text(yaml.safe_dump({"log_file": str(workdir / "manage-db.log"), **settings}))
        return path

    return write


@pytest.fixture
def run_cli(workdir: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run ``python -m manage_db ARGS`` in a separate process.

    As root, ``-u root`` keeps the process root on purpose: without it the command warns that its
    default user does not exist, and dropping to another user cannot work when the interpreter
    lives in a directory closed to that user (a pyenv Python under /root).
    """
    global_options = ["-u", "root"] if os.geteuid() == 0 else []

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "ALEMBIC_"))}
        env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run(
            [sys.executable, "-m", "manage_db", *global_options, *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,  # a hang guard, not a measure
        )

    return run
