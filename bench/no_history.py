#!/usr/bin/env python3
"""wazo-manage-db with the applied history switched off: bench_history.py's baseline.

Same command line as ``python -m manage_db``; no history row is written, no checksum is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from manage_db.services import history, status  # noqa: E402


class NullRecorder:
    """Takes every step and records nothing."""

    def step_started(self, *args: object) -> None:
        pass

    def step_applied(self, *args: object) -> None:
        pass

    def step_failed(self, *args: object) -> None:
        pass


history.prepare_run = lambda *args, **kwargs: NullRecorder()  # type: ignore[assignment]
status.component_drift = lambda *args: []  # type: ignore[assignment]

if __name__ == "__main__":
    from manage_db.cli import cli

    sys.exit(cli.main(prog_name="wazo-manage-db"))
