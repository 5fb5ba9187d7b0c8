"""The rule registry ties each rule to its documentation and its tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manage_db.lint import rules
from manage_db.lint.model import EngineRule, RevisionRule, StatementRule, TreeRule

REPO = Path(__file__).resolve().parents[2]
RULE_TESTS = Path(__file__).resolve().parent / "rules"
DOCS = REPO / "docs" / "lint.md"
_TABLE = re.compile(r"<!-- rules-table:[^>]*-->\n(.*?)\n<!-- /rules-table -->", re.DOTALL)


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_every_registered_rule_has_its_own_test_module(code):
    assert (RULE_TESTS / f"test_{code.lower()}.py").is_file()


def test_every_rule_test_module_is_for_a_registered_rule():
    tested = {path.stem.removeprefix("test_").upper() for path in RULE_TESTS.glob("test_*.py")}
    assert tested == set(rules.RULES)


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_every_rule_is_documented_by_its_docstring_and_has_a_docs_row(code):
    rule = rules.RULES[code]
    assert rule.doc.startswith(f"{rule.name}: ")
    assert "Why:" in rule.doc and "Instead:" in rule.doc
    assert f"| {code} | {rule.name} | {rule.severity} | " in DOCS.read_text()


def test_the_rules_table_of_the_docs_is_the_registry_s():
    match = _TABLE.search(DOCS.read_text())
    assert match is not None, "docs/lint.md has no generated rules table"
    assert match.group(1) == rules.rules_table(), (
        "docs/lint.md's rules table is stale: regenerate it (wazo-manage-db lint --rules-table)"
    )


def test_every_rule_is_of_one_kind_and_codes_and_names_are_unique():
    kinds = (StatementRule, RevisionRule, TreeRule, EngineRule)
    assert all(isinstance(rule, kinds) for rule in rules.RULES.values())
    assert len(rules.BY_NAME) == len(rules.RULES)
