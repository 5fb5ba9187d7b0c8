"""A tree builder for lint tests: writes revisions into a throwaway alembic directory."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from manage_db.lint.config import settings_from
from manage_db.lint.service import LintReport, lint_paths

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
# What a careful revision starts with: the rules about locks then judge the rest.
TIMEOUT = "op.execute(\"SET lock_timeout = '5s'\")\n"


class Tree:
    """An alembic script directory under construction."""

    def __init__(self, root: Path):
        self.root = root
        (root / "versions").mkdir(parents=True)
        (root / "env.py").write_text("# not run by lint\n")

    def revision(
        self,
        rev: str,
        down: str | None,
        upgrade: str = "pass",
        downgrade: str = 'op.execute("SELECT 1")',
        header: str = "",
        body: str = "",
        filename: str | None = None,
    ) -> Path:
        """Write a revision; ``upgrade``/``downgrade`` are function bodies (dedented)."""
        source = (
            f'"""revision {rev}"""\n{textwrap.dedent(header)}'
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            f"{textwrap.dedent(body)}\n\n"
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n"
        )
        path = self.root / "versions" / (filename or f"{rev}_change.py")
        path.write_text(source)
        return path

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def lint(self, config: Mapping[str, Any] | None = None, path: Path | None = None) -> LintReport:
        return lint_paths([path or self.root], settings_from(config))

    def codes(self, config: Mapping[str, Any] | None = None) -> list[str]:
        return [f.code for f in self.lint(config).findings]

    def after_timeout(self, upgrade: str) -> list:
        """The findings of one revision that sets lock_timeout, then runs ``upgrade``."""
        self.revision("a1", None, upgrade=TIMEOUT + upgrade)
        return self.lint().findings


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tree:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return Tree(tmp_path / "alembic")


def assert_lock_warning(findings: list, code: str, lock: str) -> None:
    """One finding, ``code``: a warning that names ``lock``."""
    assert [f.code for f in findings] == [code]
    assert findings[0].severity == "warning"
    assert lock in findings[0].message


def only(report: LintReport, code: str) -> list:
    return [f for f in report.findings if f.code == code]


def position_of(path: Path, text: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of ``text`` in a file."""
    start = -1
    source = path.read_text()
    for _ in range(occurrence):
        start = source.index(text, start + 1)
    line = source.count("\n", 0, start) + 1
    return line, start - (source.rfind("\n", 0, start) + 1) + 1
