"""The rule registry: one module per rule, named after its code; adding a rule adds one line here.

A rule module defines ``RULE`` (a :class:`~manage_db.lint.model.Rule`) and one of:

- ``check_statement(statement, state)``: yields messages for one SQL statement; ``PHASES``
  says where it applies (``upgrade``, ``downgrade``, ``module``, ``sql``);
- ``check_revision(revision)``: yields ``(line, col, message)`` for one Python revision;
- ``check_tree(tree)``: yields ``(path, line, col, message)`` for a whole tree.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from manage_db.lint.model import Rule

# One line per rule: the module named after its code.
_CODES = (
    "mdb001",
    "mdb101",
    "mdb201",
    "mdb301",
    "mdb401",
    "mdb501",
    "mdb502",
    "mdb503",
    "mdb504",
    "mdb505",
    "mdb506",
    "mdb507",
    "mdb508",
    "mdb509",
    "mdb510",
    "mdb601",
)
MODULES: tuple[ModuleType, ...] = tuple(importlib.import_module(f"{__name__}.{c}") for c in _CODES)
RULES: dict[str, Rule] = {m.RULE.code: m.RULE for m in MODULES}
BY_NAME: dict[str, str] = {m.RULE.name: m.RULE.code for m in MODULES}
STATEMENT_RULES = tuple(m for m in MODULES if hasattr(m, "check_statement"))
REVISION_RULES = tuple(m for m in MODULES if hasattr(m, "check_revision"))
TREE_RULES = tuple(m for m in MODULES if hasattr(m, "check_tree"))


def resolve_code(code_or_name: str) -> str | None:
    """The code for ``MDB101`` or ``forbidden-statement`` (any case); None when unknown."""
    upper = code_or_name.strip().upper()
    if upper in RULES:
        return upper
    return BY_NAME.get(code_or_name.strip().lower())
