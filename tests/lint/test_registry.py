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


@pytest.mark.parametrize("code", sorted(rules.all_rules()))
def test_every_registered_rule_has_its_own_test_module(code):
    assert (RULE_TESTS / f"test_{code.lower()}.py").is_file()


def test_every_rule_test_module_is_for_a_registered_rule():
    tested = {path.stem.removeprefix("test_").upper() for path in RULE_TESTS.glob("test_*.py")}
    assert tested == set(rules.all_rules())


@pytest.mark.parametrize("code", sorted(rules.all_rules()))
def test_every_rule_is_documented_by_its_docstring_and_has_a_docs_row(code):
    rule = rules.rule(code)
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
    every = rules.all_rules()
    assert all(isinstance(rule, kinds) for rule in every.values())
    assert len({rule.name for rule in every.values()}) == len(every)
    assert all(rules.resolve_code(rule.name) == code for code, rule in every.items())


@pytest.mark.parametrize("code", sorted(rules.all_rules()))
def test_the_registry_declares_each_rule_s_kind_as_its_module_defines_it(code):
    import importlib

    module = importlib.import_module(f"manage_db.lint.rules.{code.lower()}")
    assert type(module.RULE) is rules._CODES[code.lower()]
    assert rules.rule(code) in rules.rules_of(type(module.RULE))
