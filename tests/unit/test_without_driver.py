"""--help and --version work on an install whose PostgreSQL driver is missing."""

from __future__ import annotations

import subprocess

import pytest

from pgtest import run_tool

# Run the CLI in a process where importing psycopg2 fails, as on an install without the driver.
_WITHOUT_DRIVER = """
import sys
class NoDriver:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "psycopg2":
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, NoDriver())
from manage_db.cli import cli
cli.main(sys.argv[1:], prog_name="wazo-manage-db")
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    return run_tool(
        "--log-file", "/dev/null", *args, code=_WITHOUT_DRIVER, stay_root=False, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["status", "--help"],
        ["--db-uri", "postgresql://u@h/d", "upgrade", "--help"],
    ],
)
def test_help_and_version_need_no_driver(args):
    done = _run(*args)
    assert done.returncode == 0, done
    assert "wazo-manage-db" in done.stdout
    assert done.stderr == ""


def test_a_command_that_connects_says_the_driver_is_missing_in_one_line(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("plugins: false\n")
    done = _run("-c", str(config), "status")
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "wazo-manage-db: the PostgreSQL driver psycopg2 is not installed "
        "(pip install psycopg2-binary, or apt install python3-psycopg2)"
    ]
