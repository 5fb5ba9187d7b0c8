"""The rule registry: one module per rule, named after its code; adding a rule adds one line here.

A rule module's docstring is the rule's documentation (why it exists, what to write instead);
it defines ``RULE``, one of the kinds of :mod:`manage_db.lint.model`: a
:class:`~manage_db.lint.model.StatementRule` (one SQL statement), a
:class:`~manage_db.lint.model.RevisionRule` (one Python revision), a
:class:`~manage_db.lint.model.TreeRule` (the whole tree) or an
:class:`~manage_db.lint.model.EngineRule` (findings of the parsers and offline rendering).
Suppressions and severities are not the rules' business: :mod:`manage_db.lint.policy`.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import replace

from manage_db.lint.model import RevisionRule, Rule, StatementRule, TreeRule

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
    "mdb511",
    "mdb512",
    "mdb513",
    "mdb514",
    "mdb515",
    "mdb601",
)


def _load(code: str) -> Rule:
    module = importlib.import_module(f"{__name__}.{code}")
    rule: Rule = module.RULE
    return replace(rule, doc=inspect.cleandoc(module.__doc__ or ""))


RULES: dict[str, Rule] = {rule.code: rule for rule in map(_load, _CODES)}
BY_NAME: dict[str, str] = {rule.name: rule.code for rule in RULES.values()}
STATEMENT_RULES = tuple(r for r in RULES.values() if isinstance(r, StatementRule))
REVISION_RULES = tuple(r for r in RULES.values() if isinstance(r, RevisionRule))
TREE_RULES = tuple(r for r in RULES.values() if isinstance(r, TreeRule))


def resolve_code(code_or_name: str) -> str | None:
    """The code for ``MDB101`` or ``forbidden-statement`` (any case); None when unknown."""
    upper = code_or_name.strip().upper()
    if upper in RULES:
        return upper
    return BY_NAME.get(code_or_name.strip().lower())


def rules_table() -> str:
    """The markdown table of docs/lint.md, from the registry (``lint --rules-table``)."""
    lines = ["| code | name | severity | what |", "|---|---|---|---|"]
    for rule in RULES.values():
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.name} | {rule.severity} | {summary} |")
    return "\n".join(lines)
