"""verify's walk plan: which revision is applied how, in which order.

Every revision of the tree, on every branch, parents before children (a merge after all of its
parents), so a tree with several heads or merges is round-tripped everywhere: each revision is
upgraded from a database holding all that comes before it in that order, downgraded (the version
table going back to its parents, other branches untouched) and upgraded again.

A step is one of:

- ``round-trip``: upgrade, downgrade, upgrade, each compared;
- ``upgrade``: upgraded and snapshotted, not downgraded (``reason`` says why): declared
  ``irreversible = True``; at or below ``verify.minimum_downgrade_revision`` (that revision and
  its ancestors); a root revision whose downgrade does nothing *and* whose upgrade runs a SQL dump
  of the tree (the platform's squashed baseline) or that is listed in ``verify.baselines``;
- ``stamp``: listed in ``verify.skip_revisions``: the version table moves, the revision's code
  does not run (pytest-alembic's ``skip_revisions``).

A root revision whose downgrade does nothing and that is neither is round-tripped like any other:
its re-upgrade fails on what the downgrade left behind, as pytest-alembic reports it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manage_db.dao.sql_dumps import sql_dumps_run_by_upgrade
from manage_db.errors import ConfigError
from manage_db.models import Component
from manage_db.runtime.compat import Tree

ROUND_TRIP = "round-trip"
UPGRADE_ONLY = "upgrade"
STAMP = "stamp"


@dataclass(frozen=True)
class WalkPolicy:
    """The ``verify.*`` settings that shape the walk (global, or a component's own)."""

    skip_revisions: tuple[str, ...] = ()
    minimum_downgrade_revision: str | None = None
    baselines: tuple[str, ...] = ()


@dataclass(frozen=True)
class WalkStep:
    """One revision and how the walk applies it (``ROUND_TRIP``, ``UPGRADE_ONLY``, ``STAMP``)."""

    revision: str
    action: str
    reason: str | None = None


POLICY_KEYS = ("skip_revisions", "minimum_downgrade_revision", "baselines")


def walk_policy(settings: Mapping[str, Any], component: Component | None = None) -> WalkPolicy:
    """The policy for ``component`` (None: a tree named on the command line): each key from the
    component's own ``verify:`` mapping (config entry or plugin, resolved by the registry), else
    the global ``verify`` section."""
    own: Mapping[str, Any] = dict(component.verify) if component is not None else {}
    common = settings.get("verify") or {}
    values = {
        key: own.get(key) if own.get(key) is not None else common.get(key) for key in POLICY_KEYS
    }
    return WalkPolicy(
        skip_revisions=tuple(values["skip_revisions"] or ()),
        minimum_downgrade_revision=values["minimum_downgrade_revision"] or None,
        baselines=tuple(values["baselines"] or ()),
    )


def plan_walk(tree: Tree, policy: WalkPolicy | None = None) -> list[WalkStep]:
    """The steps of the walk of ``tree`` under ``policy``, base first.

    ConfigError naming the setting when it names a revision the tree does not have.
    """
    policy = policy or WalkPolicy()
    skipped = set(_resolve(tree, "verify.skip_revisions", policy.skip_revisions))
    baselines = set(_resolve(tree, "verify.baselines", policy.baselines))
    floor: set[str] = set()
    if policy.minimum_downgrade_revision:
        (minimum,) = _resolve(
            tree, "verify.minimum_downgrade_revision", [policy.minimum_downgrade_revision]
        )
        floor = _ancestors_and_self(tree, minimum)
    steps = []
    for revision in tree.revisions:
        if revision in skipped:
            steps.append(WalkStep(revision, STAMP, "skipped (verify.skip_revisions): not run"))
            continue
        reason = _not_round_tripped(tree, revision, baselines)
        if reason is None and revision in floor:
            reason = f"at or below verify.minimum_downgrade_revision ({minimum})"
        steps.append(WalkStep(revision, ROUND_TRIP if reason is None else UPGRADE_ONLY, reason))
    return steps


def _resolve(tree: Tree, setting: str, names: Iterable[str]) -> list[str]:
    found = []
    for name in names:
        revision = tree.resolve(str(name))
        if revision is None:
            raise ConfigError(f"{setting}: unknown revision '{name}' in {tree.location}")
        found.append(revision)
    return found


def _ancestors_and_self(tree: Tree, revision: str) -> set[str]:
    seen: set[str] = set()
    stack = [revision]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(tree.parents(current))
    return seen


def _not_round_tripped(tree: Tree, revision: str, baselines: set[str]) -> str | None:
    """Why ``revision`` is upgraded but not round-tripped, or None."""
    module = tree.module(revision)
    if getattr(module, "irreversible", False) is True:
        return "declared irreversible (irreversible = True)"
    if revision in baselines:
        return "baseline (verify.baselines)"
    if tree.parents(revision) or not does_nothing(getattr(module, "downgrade", None)):
        return None
    dumps = sql_dumps_run_by_upgrade(Path(module.__file__ or ""), tree.location)
    if dumps:
        return (
            f"baseline running {', '.join(sorted(d.name for d in dumps))}, downgrade does nothing"
        )
    return None


def does_nothing(function: Any) -> bool:
    """True when ``function``'s body is only ``pass``, ``...`` and docstrings."""
    if function is None:
        return False
    try:
        source = textwrap.dedent(inspect.getsource(function))
        (definition,) = ast.parse(source).body
    except (OSError, TypeError, SyntaxError, ValueError):
        return False
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in definition.body
    )
