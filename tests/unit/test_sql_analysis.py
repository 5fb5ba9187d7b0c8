"""The shared SQL analysis (manage_db/sql/) as the upgrade's messages use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from manage_db.sql.locks import SHARE, lock_wanted_by

REPO = Path(__file__).resolve().parents[2]


def test_the_lock_a_failed_statement_wanted_is_read_from_its_text():
    assert lock_wanted_by("CREATE INDEX i ON lines (name)") == ("lines", SHARE)
    assert lock_wanted_by("SELECT 1") is None
    assert lock_wanted_by("not sql at all") is None


def test_without_pglast_the_lock_timeout_message_says_less_and_does_not_fail():
    script = (
        "import sys; sys.modules['pglast'] = None\n"
        "from manage_db.services.retry import lock_wanted\n"
        "print(lock_wanted('ALTER TABLE users ADD COLUMN age int'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "a table lock\n"
