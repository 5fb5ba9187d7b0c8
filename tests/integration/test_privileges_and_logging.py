"""Started as root the tool drops to an unprivileged user; it logs to its own file."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import sysconfig
import tempfile
from pathlib import Path

import pytest

from pgtest import REPO, run_tool, with_db

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")


def open_to_others(path):
    """Can any user reach this path (every parent directory searchable by others)?"""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def run_main(config, *args):
    """The tool started as the caller, dropping to the user its config names."""
    return run_tool(*args, config=config, stay_root=False)


@root_only
@pytest.mark.skipif(
    not open_to_others(Path(sysconfig.get_paths()["stdlib"])),
    reason="the interpreter is not readable by the postgres OS user",
)
def test_init_without_admin_uri_uses_postgres_os_user_over_the_socket(
    write_config, pg_admin_uri, platform_names
):
    config = write_config(
        {
            "db_uri": with_db(
                pg_admin_uri, platform_names["database"], platform_names["role"], "pw"
            ),
            "socket_dir": "/var/run/postgresql",
            "plugins": False,
        }
    )
    result = run_main(config, "init")
    assert result.returncode == 0, result.stderr
    assert f"created database {platform_names['database']}" in result.stdout


@root_only
def test_explicit_user_that_does_not_exist_is_refused(write_config):
    config = write_config({"db_uri": "postgresql://x@127.0.0.1:1/x", "plugins": False})
    result = run_main(config, "-u", "no-such-user-here", "status")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: cannot drop privileges: user 'no-such-user-here' does not exist"
    )


@root_only
@pytest.mark.skipif(
    not all(open_to_others(Path(p)) for p in (REPO, sysconfig.get_paths()["stdlib"])),
    reason="the checkout or the interpreter is not readable by nobody",
)
def test_runs_as_the_configured_user_when_started_as_root(write_config):
    tmp_path = Path(tempfile.mkdtemp(prefix="wmdb-priv-"))
    os.chmod(tmp_path, 0o755)
    tree = tmp_path / "tree"
    config = write_config(
        {
            "db_uri": "postgresql://x@127.0.0.1:1/x",
            "plugins": False,
            "user": "nobody",
            "log_file": str(tmp_path / "log"),
        }
    )
    # revision writes a file: as nobody it cannot write into a root-owned tree.
    shutil.copytree(REPO / "alembic", tree / "alembic")
    config.write_text(
        config.read_text() + f"components:\n  asterisk:\n    script_location: {tree / 'alembic'}\n"
    )
    refused = run_main(config, "revision", "-m", "as nobody")
    assert refused.returncode != 0
    assert "Permission denied" in refused.stderr
    os.chown(tree / "alembic" / "versions", pwd.getpwnam("nobody").pw_uid, -1)
    created = run_main(config, "revision", "-m", "as nobody")
    assert created.returncode == 0, created.stderr
    assert os.stat(created.stdout.strip()).st_uid == pwd.getpwnam("nobody").pw_uid
    shutil.rmtree(tmp_path)


def test_log_file_gets_wazo_format_and_no_password(run_cli, platform_config, tmp_path):
    assert run_cli("init", config=platform_config).exit_code == 0
    assert run_cli("upgrade", config=platform_config).exit_code == 0
    log = (tmp_path / "wazo-manage-db.log").read_text()
    line = next(line for line in log.splitlines() if "created role" in line)
    assert re.match(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[pid \d+\] \(INFO\) "
        r"\(manage_db\.services\.provisioning\): asterisk: created role ",
        line,
    )
    assert "secret" not in log


def test_unwritable_log_file_falls_back_with_a_warning(run_cli, write_config, tmp_path):
    config = write_config(
        {
            "db_uri": "postgresql://x@127.0.0.1:1/x",
            "plugins": False,
            "log_file": str(tmp_path / "missing-dir" / "x.log"),
        }
    )
    result = run_cli("heads", config=config)
    assert result.exit_code == 0
    status = run_cli("status", config=config)
    assert status.stderr.splitlines()[0] == (
        f"wazo-manage-db: warning: cannot write log file {tmp_path / 'missing-dir' / 'x.log'} "
        "(No such file or directory); logging to stderr only"
    )


@root_only
@pytest.mark.skipif(
    open_to_others(Path(sysconfig.get_paths()["stdlib"])),
    reason="the interpreter is readable by every user here",
)
def test_switch_to_user_who_cannot_read_the_interpreter_is_refused(write_config):
    config = write_config({"db_uri": "postgresql://x@127.0.0.1:1/x", "plugins": False})
    result = run_main(config, "-u", "nobody", "heads")
    assert result.returncode == 2
    assert result.stderr.startswith("wazo-manage-db: cannot run as user 'nobody': ")
    assert "is not readable by it" in result.stderr and "Traceback" not in result.stderr


def test_lint_without_pglast_says_which_package_to_install(write_config):
    config = write_config({"db_uri": "postgresql://x@127.0.0.1:1/x", "plugins": False})
    hide_pglast = (
        "import sys; sys.modules['pglast'] = None; sys.argv[0] = 'wazo-manage-db'; "
        "from manage_db.cli import main; main()"
    )
    result = run_tool("lint", config=config, code=hide_pglast)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wazo-manage-db: lint needs pglast to parse SQL: apt-get install python3-pglast "
        "(or pip install pglast)"
    )
