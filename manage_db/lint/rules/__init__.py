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
from functools import cache

from manage_db.lint.model import EngineRule, RevisionRule, Rule, StatementRule, TreeRule

# One line per rule: the module named after its code, and the kind of rule it defines (so that
# a run loads only the rules that can fire on what it reads: a .sql file needs no revision or
# tree rule; tests/lint/test_registry.py checks each kind against the module's RULE).
_CODES = {
    "mdb001": EngineRule,
    "mdb101": StatementRule,
    "mdb201": TreeRule,
    "mdb301": RevisionRule,
    "mdb401": TreeRule,
    "mdb501": StatementRule,
    "mdb502": StatementRule,
    "mdb503": StatementRule,
    "mdb504": StatementRule,
    "mdb505": StatementRule,
    "mdb506": StatementRule,
    "mdb507": StatementRule,
    "mdb508": StatementRule,
    "mdb509": StatementRule,
    "mdb510": StatementRule,
    "mdb511": StatementRule,
    "mdb512": StatementRule,
    "mdb513": StatementRule,
    "mdb514": StatementRule,
    "mdb515": StatementRule,
    "mdb601": EngineRule,
}


@cache
def rule(code: str) -> Rule:
    """The rule ``MDB101`` (its module imported on first use, its docstring as ``doc``)."""
    module = importlib.import_module(f"{__name__}.{code.lower()}")
    found: Rule = module.RULE
    return replace(found, doc=inspect.cleandoc(module.__doc__ or ""))


def all_rules() -> dict[str, Rule]:
    """Every rule by code, in the registry's order."""
    return {code.upper(): rule(code.upper()) for code in _CODES}


@cache
def rules_of(kind: type[Rule]) -> tuple[Rule, ...]:
    """The rules of one kind (``StatementRule``...), only their modules imported."""
    return tuple(rule(code.upper()) for code, declared in _CODES.items() if declared is kind)


def codes_of(kind: type[Rule]) -> frozenset[str]:
    """The codes of the rules of one kind, none of their modules imported."""
    return frozenset(code.upper() for code, declared in _CODES.items() if declared is kind)


def statement_rules() -> tuple[StatementRule, ...]:
    return rules_of(StatementRule)  # type: ignore[return-value]


def revision_rules() -> tuple[RevisionRule, ...]:
    return rules_of(RevisionRule)  # type: ignore[return-value]


def tree_rules() -> tuple[TreeRule, ...]:
    return rules_of(TreeRule)  # type: ignore[return-value]


def resolve_code(code_or_name: str) -> str | None:
    """The code for ``MDB101`` or ``forbidden-statement`` (any case); None when unknown."""
    upper = code_or_name.strip().upper()
    if upper.lower() in _CODES:
        return upper
    by_name = {found.name: code for code, found in all_rules().items()}
    return by_name.get(code_or_name.strip().lower())


def rules_table() -> str:
    """The markdown table of docs/lint.md, from the registry (``lint --rules-table``)."""
    lines = ["| code | name | severity | what |", "|---|---|---|---|"]
    for found in all_rules().values():
        summary = found.summary.replace("|", "\\|")
        lines.append(f"| {found.code} | {found.name} | {found.severity} | {summary} |")
    return "\n".join(lines)
