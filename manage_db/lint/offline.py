"""Render what each revision's ``upgrade()`` emits in alembic's offline (``--sql``) mode.

One MigrationContext for the whole run, revisions executed in-process from the syntax tree
lint already parsed: no subprocess, no per-revision reload of the script directory. Each
chunk of output is tagged with the line of the revision that emitted it, found on the stack.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass, field
from types import FrameType

from manage_db.lint.pysource import PythonRevision


@dataclass
class Chunk:
    """Text alembic wrote for one call, and the revision line that made the call."""

    text: str
    line: int


@dataclass
class Rendering:
    chunks: list[Chunk] = field(default_factory=list)
    error: str | None = None


class _Capture:
    """An output buffer that records which line of the current revision wrote each chunk."""

    def __init__(self) -> None:
        self.filename = ""
        self.chunks: list[Chunk] = []

    def write(self, text: str) -> None:
        frame: FrameType | None = sys._getframe(1)
        line = 0
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                line = frame.f_lineno or 0
                break
            frame = frame.f_back
        if text.strip():
            self.chunks.append(Chunk(text, line))

    def flush(self) -> None:
        pass


def render_upgrades(revisions: list[PythonRevision]) -> dict[str, Rendering]:
    """Offline SQL of each revision's upgrade(), by revision path."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    capture = _Capture()
    context = MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": capture, "literal_binds": True},
    )
    results: dict[str, Rendering] = {}
    # A revision that prints must not mix its text into lint's own output (JSON, annotations).
    with Operations.context(context), contextlib.redirect_stdout(io.StringIO()):
        for index, revision in enumerate(revisions):
            if revision.upgrade is None:
                continue
            capture.filename = revision.path
            capture.chunks = []
            results[revision.path] = _render_one(revision, index, capture)
    return results


def _render_one(revision: PythonRevision, index: int, capture: _Capture) -> Rendering:
    name = f"manage_db_lint_revision_{index}"
    namespace = {"__name__": name, "__file__": revision.path}
    module = type(sys)(name)
    module.__dict__.update(namespace)
    sys.modules[name] = module
    try:
        exec(compile(revision.tree, revision.path, "exec"), module.__dict__)
        module.__dict__["upgrade"]()
    except Exception as error:  # the revision's own code failed offline: a finding, not a crash
        return Rendering(list(capture.chunks), f"{type(error).__name__}: {error}")
    except SystemExit as error:
        return Rendering(list(capture.chunks), f"SystemExit: {error}")
    finally:
        sys.modules.pop(name, None)
    return Rendering(list(capture.chunks))
