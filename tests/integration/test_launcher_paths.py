"""The console script's fast path says exactly what the click command line says."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from history_trees import ONE, TWO, setup_component, write_revision

from pgtest import REPO

FAST = [sys.executable, "-m", "manage_db"]
CLICK = [sys.executable, "-c", "from manage_db.cli import main; main()"]


def run(entry, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*entry, "-u", "root", *args], capture_output=True, text=True, env=env, cwd=REPO
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def component(tmp_path, write_config, pg_admin_uri, cleanup):
    config, _owner, location = setup_component(
        tmp_path, write_config, pg_admin_uri, cleanup, [ONE, TWO], "ours"
    )
    assert run(CLICK, "-c", str(config), "init")[0] == 0
    return config, location


def same(*args):
    fast, slow = run(FAST, *args), run(CLICK, *args)
    assert fast == slow
    return fast


def test_status_and_upgrade_say_the_same_both_ways(component, tmp_path):
    config, location = component
    c = ["-c", str(config)]
    assert same(*c, "status")[0] == 3
    assert same(*c, "status", "--json")[0] == 3
    assert run(FAST, *c, "upgrade")[0] == 0
    for args in (
        ["status"],
        ["check", "--json"],
        ["status", "--component", "demo"],
        ["--log-level", "debug", "status"],
        ["upgrade"],
        ["upgrade", "head", "--json"],
        ["upgrade", "--component=demo"],
    ):
        assert same(*c, *args)[0] == 0, args
    code, _out, err = same(*c, "status", "--component", "nope")
    assert code == 2 and "unknown component 'nope'" in err
    code, _out, err = same("-c", str(tmp_path / "missing.yml"), "status")
    assert code == 2 and "no such configuration file" in err
    (tmp_path / "bad.yml").write_text("log_level: [\n")
    code, _out, err = same("-c", str(tmp_path / "bad.yml"), "upgrade")
    assert code == 2 and "invalid YAML" in err
    debug = ["-d", "-c", str(tmp_path / "bad.yml"), "status"]
    (fast, slow) = run(FAST, *debug), run(CLICK, *debug)  # the tracebacks' frames differ
    assert fast[:2] == slow[:2] and fast[0] == 2
    assert fast[2].splitlines()[-1] == slow[2].splitlines()[-1]
    assert "Traceback" in fast[2] and "invalid YAML" in fast[2].splitlines()[-1]
    code, _out, err = same(*c, "--db-uri", "postgresql://u:secret@127.0.0.1:1/x", "status")
    assert "--db-uri carries a password" in err and "secret" not in err

    write_revision(location, "b2b2b2b2b2b2", "a1a1a1a1a1a1", 'op.execute("SELECT 2")', "pass")
    code, out, _err = same(*c, "status")
    assert code == 8 and "edited since it was applied" in out
    code, _out, err = same(*c, "upgrade", "--json")
    assert code == 8 and "refusing to run" in err
