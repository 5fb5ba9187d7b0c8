#!/usr/bin/env python3
"""How often ``wazo-manage-db lint`` agrees with squawk on squawk's own rule tests and docs.

Reads a local copy of sbdchd/squawk (never committed here): the test modules of
``crates/squawk_linter/src/rules/*.rs`` (each ``lint_ok``/``lint_errors`` call on a SQL string,
with the verdict squawk's snapshot shows) and the "Instead of:" (an error) / "Use:" (clean)
SQL blocks of ``docs/docs/<rule>.md``, for the squawk rules that overlap ours. Each case
becomes one ``.sql`` file run as one alembic revision runs it: in one transaction (``BEGIN;`` …
``COMMIT;`` around it). Every interpreter given lints all of them in one run (from a scratch
directory, so each imports its own checkout's ``manage_db``); a case agrees when our rules
mapped to that squawk rule report something exactly when squawk does.

Cases for PostgreSQL < 12 (we support 12+) and squawk's autofix tests are left out. Cases where
we knowingly differ are printed with why (``KNOWN``); the table counts them as disagreements.

    .venv/bin/python bench/peer_squawk.py --squawk /tmp/squawk \
        --python /work/main/.venv/bin/python --python .venv/bin/python [--details]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# squawk rule -> our codes that stand for it ("" = none: not ours)
RULE_MAP: dict[str, tuple[str, ...]] = {
    "adding-field-with-default": ("MDB503",),
    "adding-foreign-key-constraint": ("MDB506",),
    "adding-not-nullable-field": ("MDB505",),
    "adding-serial-primary-key-field": ("MDB503", "MDB511"),
    "adding-required-field": ("MDB502",),
    "ban-concurrent-index-creation-in-transaction": ("MDB509",),
    "ban-drop-column": ("MDB507",),
    "ban-drop-database": ("MDB514",),
    "ban-drop-table": ("MDB507",),
    "changing-column-type": ("MDB504",),
    "constraint-missing-not-valid": ("MDB506",),
    "disallowed-unique-constraint": ("MDB511",),
    "renaming-column": ("MDB508",),
    "renaming-table": ("MDB508",),
    "require-concurrent-index-creation": ("MDB501",),
    "require-concurrent-index-deletion": ("MDB512",),
    "require-concurrent-reindex": ("MDB513",),
    "require-lock-timeout": ("MDB510",),
}
# Rust module -> the squawk rule its tests are about (when the module name is not the rule's)
_MODULES = {
    "adding_not_null_field": "adding-not-nullable-field",
    "adding_primary_key_constraint": "adding-serial-primary-key-field",
    "disallow_unique_constraint": "disallowed-unique-constraint",
    "require_timeout_settings": "require-lock-timeout",
}
# Where we knowingly differ from squawk: (rule, case) -> why.
_IN_ALEMBIC = "alembic runs a revision in one transaction: a lone CREATE INDEX CONCURRENTLY fails"
_SAME_TRANSACTION = (
    "in one revision (one transaction) the lock ADD ... NOT VALID took is held through VALIDATE's "
    "scan"
)
KNOWN = {
    ("ban-concurrent-index-creation-in-transaction", _name): _IN_ALEMBIC
    for _name in (
        "ban_concurrent_index_creation_in_transaction_ok",
        "assuming_in_transaction_ok",
        "squawk_disable_assume_in_transaction_overrides",
    )
} | {
    ("adding-foreign-key-constraint", "add_foreign_key_constraint_not_valid_validate"): (
        _SAME_TRANSACTION + " (squawk's constraint-missing-not-valid agrees)"
    ),
    ("adding-foreign-key-constraint", "docs:use#1"): _SAME_TRANSACTION,
    ("constraint-missing-not-valid", "adding_fk_not_valid_ok"): _SAME_TRANSACTION,
    ("constraint-missing-not-valid", "adding_check_constraint_ok"): _SAME_TRANSACTION,
    ("constraint-missing-not-valid", "docs:use#1"): _SAME_TRANSACTION,
    ("adding-not-nullable-field", "docs:use#1"): (
        _SAME_TRANSACTION + "; and its SET NOT NULL names another table (table_name)"
    ),
    ("require-lock-timeout", "err_other_ddl_operations"): "CREATE TYPE locks no existing table",
    ("require-lock-timeout", "err_comment_on_explains_lock_impact"): (
        "COMMENT ON queues no reads or writes (SHARE UPDATE EXCLUSIVE)"
    ),
    ("require-lock-timeout", "err_vacuum_full_false_uses_non_full_lock"): (
        "moot: VACUUM cannot run in a revision's transaction at all"
    ),
    ("adding-field-with-default", "default_random_with_args_err"): (
        "moot: now(123) does not exist, the ALTER fails either way"
    ),
    ("adding-field-with-default", "docs:instead#0"): (
        "moot: a constant default rewrites nothing since PostgreSQL 11"
    ),
    **{
        (rule, name): "(--as-written only) squawk's case assumes a transaction around it"
        for rule, name in (
            ("ban-concurrent-index-creation-in-transaction", "assuming_in_transaction_err"),
            ("constraint-missing-not-valid", "not_valid_validate_assume_transaction_err"),
            (
                "constraint-missing-not-valid",
                "not_valid_validate_with_assume_in_transaction_with_explicit_commit_err",
            ),
        )
    },
    ("disallowed-unique-constraint", "docs:instead#2"): (
        "moot: not PostgreSQL (a column constraint takes no column list); we say MDB001"
    ),
}
_TEST = re.compile(r"#\[test\]\s*fn (\w+)\(\)\s*\{(.*?)\n    \}\n", re.DOTALL)
_SQL = re.compile(r'let sql = (?:r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)")\s*;', re.DOTALL)
_CALL = re.compile(r"\b(lint_ok_with|lint_errors_with|lint_ok|lint_errors)\(")
_PG = re.compile(r'pg_version:\s*"(\d+)')
_DOC_BLOCK = re.compile(r"^(Instead of|Use):?\s*\n+```sql\n(.*?)```", re.MULTILINE | re.DOTALL)


@dataclass
class Case:
    rule: str
    name: str
    sql: str
    squawk_reports: bool
    ours: dict[str, list[str]] = field(default_factory=dict)  # interpreter -> codes found


def _snapshot(rules_dir: Path, module: str, test: str, body: str) -> str:
    inline = re.search(r'@r?#*"(.*?)"#*\)', body, re.DOTALL)
    if inline:
        return inline.group(1)
    path = rules_dir / "snapshots" / f"squawk_linter__rules__{module}__test__{test}.snap"
    return path.read_text() if path.exists() else ""


def test_cases(squawk: Path) -> Iterator[Case]:
    """The lint_ok / lint_errors cases of the rules we overlap."""
    rules_dir = squawk / "crates" / "squawk_linter" / "src" / "rules"
    for path in sorted(rules_dir.glob("*.rs")):
        module = path.stem
        rule = _MODULES.get(module, module.replace("_", "-"))
        if rule not in RULE_MAP:
            continue
        text = path.read_text()
        for match in _TEST.finditer(text[text.find("#[cfg(test)]") :]):
            test, body = match.groups()
            call = _CALL.search(body)
            sqls = [g[1] or g[2] for g in _SQL.findall(body)]
            pg = _PG.search(body)
            if call is None or not sqls or (pg and int(pg.group(1)) < 12):
                continue
            reports = "errors" in call.group(1)
            if reports and module == "require_timeout_settings":
                # the statement_timeout half is a runner setting for us, not a lint rule
                reports = "require-lock-timeout" in _snapshot(rules_dir, module, test, body)
            if (
                "Rule::RequireStatementTimeout" in body
                and "Rule::RequireTimeoutSettings" not in body
            ):
                continue  # only about statement_timeout
            for index, sql in enumerate(sqls):
                yield Case(rule, test + (f"#{index}" if index else ""), sql, reports)


def doc_cases(squawk: Path) -> Iterator[Case]:
    """The "Instead of:" (squawk reports) and "Use:" (it does not) SQL blocks of the docs."""
    for rule in RULE_MAP:
        path = squawk / "docs" / "docs" / f"{rule}.md"
        if not path.exists():
            continue
        for index, match in enumerate(_DOC_BLOCK.finditer(path.read_text())):
            kind, sql = match.groups()
            yield Case(rule, f"docs:{kind.split()[0].lower()}#{index}", sql, kind == "Instead of")


def run_lint(python: str, cases: list[Case], label: str, as_written: bool = False) -> None:
    """Lint every case with ``python``; fill ``case.ours[label]``.

    Each case in one transaction, as an alembic revision runs it; ``as_written``: as a plain
    ``.sql`` file (autocommit outside its own BEGIN/COMMIT), squawk's default reading.
    """
    with tempfile.TemporaryDirectory(prefix="peer-squawk-") as scratch:
        tree = Path(scratch, "cases")
        tree.mkdir()
        for number, case in enumerate(cases):
            text = case.sql if as_written else f"BEGIN;\n{case.sql.strip()}\n;\nCOMMIT;\n"
            (tree / f"{number:04d}.sql").write_text(text)
        result = subprocess.run(
            [python, "-m", "manage_db", "--log-file", "/dev/null", "lint", "--no-cache"]
            + ["--format", "json", str(tree)],
            capture_output=True,
            text=True,
            cwd=scratch,
            timeout=600,
        )
        if result.returncode not in (0, 1):
            sys.exit(f"{python}: lint failed ({result.returncode}): {result.stderr.strip()}")
        found: dict[int, list[str]] = {}
        for finding in json.loads(result.stdout)["findings"]:
            found.setdefault(int(Path(finding["path"]).stem), []).append(finding["code"])
    for number, case in enumerate(cases):
        case.ours[label] = sorted(found.get(number, []))


def agrees(case: Case, label: str) -> bool:
    codes = case.ours[label]
    if "MDB001" in codes:
        return False  # we could not read it
    return any(code in RULE_MAP[case.rule] for code in codes) == case.squawk_reports


def report(cases: list[Case], labels: list[str], details: bool) -> None:
    head = " | ".join(f"{label} agree" for label in labels)
    print(f"| squawk rule | our rules | cases | {head} |")
    print("|---|---|---|" + "---|" * len(labels))
    for rule, codes in RULE_MAP.items():
        mine = [c for c in cases if c.rule == rule]
        if not mine:
            continue
        cells = " | ".join(str(sum(agrees(c, label) for c in mine)) for label in labels)
        print(f"| {rule} | {', '.join(codes)} | {len(mine)} | {cells} |")
    totals = " | ".join(
        f"**{sum(agrees(c, label) for c in cases)}** "
        f"({100 * sum(agrees(c, label) for c in cases) / len(cases):.0f}%)"
        for label in labels
    )
    print(f"| **total** | | **{len(cases)}** | {totals} |")
    last = labels[-1]
    differing = [c for c in cases if not agrees(c, last)]
    known = sum((c.rule, c.name) in KNOWN for c in differing)
    print(f"\nDisagreements ({last}): {len(differing)}, {known} of them known (why below)")
    for case in cases:
        if not agrees(case, last):
            verdict = "reports" if case.squawk_reports else "clean"
            why = KNOWN.get((case.rule, case.name), "")
            print(
                f"- {case.rule}::{case.name}: squawk {verdict}, we {case.ours[last] or 'clean'}"
                + (f" — known: {why}" if why else "")
            )
            if details:
                print("  " + " ".join(case.sql.split()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squawk", type=Path, required=True, help="a local copy of sbdchd/squawk")
    parser.add_argument(
        "--python",
        action="append",
        help="an interpreter whose manage_db to run (repeat: before, after); default: this one",
    )
    parser.add_argument("--details", action="store_true", help="print each disagreement's SQL")
    parser.add_argument(
        "--as-written",
        action="store_true",
        help="lint each case as a plain .sql file (no transaction around it), as squawk reads it",
    )
    args = parser.parse_args(argv)
    if not (args.squawk / "crates" / "squawk_linter").is_dir():
        parser.error(f"{args.squawk}: not a squawk checkout (no crates/squawk_linter)")
    cases = list(test_cases(args.squawk)) + list(doc_cases(args.squawk))
    pythons = args.python or [sys.executable]
    labels = []
    for python in pythons:
        path = Path(python).absolute()  # not resolved: a venv's python is a symlink
        venv = path.parent.parent
        label = venv.parent.name if venv.name.startswith(".venv") else str(path)
        if label in labels or any(item.startswith(f"{label} ") for item in labels):
            label = f"{label} ({venv.name})"
        labels.append(label)
        run_lint(str(path), cases, label, args.as_written)
    report(cases, labels, args.details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
