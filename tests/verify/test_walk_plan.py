"""verify's walk plan: every branch, merges after their parents, and the verify.* settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from manage_db.errors import ConfigError
from manage_db.runtime.compat import load_tree
from manage_db.services.verify_walk import (
    ROUND_TRIP,
    STAMP,
    UPGRADE_ONLY,
    WalkPolicy,
    plan_walk,
    walk_policy,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"


def plan(case, **policy):
    return [
        (s.revision, s.action) for s in plan_walk(load_tree(FIXTURES / case), WalkPolicy(**policy))
    ]


def test_every_revision_of_every_branch_is_round_tripped_parents_first():
    steps = plan("several_heads")
    assert sorted(r for r, _ in steps) == [
        "w1000000base", "w2000000left", "w3000000rght", "w4000000tail",
    ]  # fmt: skip
    order = [r for r, _ in steps]
    assert order[0] == "w1000000base"
    assert order.index("w3000000rght") < order.index("w4000000tail")
    assert {a for _, a in steps} == {ROUND_TRIP}


def test_a_merge_is_walked_after_both_of_its_parents():
    order = [r for r, _ in plan("merged_branches")]
    assert order[-1] == "m4000000merg"
    assert order[0] == "m1000000base"


def test_skipped_revisions_are_stamped_and_the_minimum_and_its_ancestors_only_upgraded():
    steps = plan(
        "skip_and_minimum",
        skip_revisions=("s2000000slow",),
        minimum_downgrade_revision="s3000000purge",
    )
    assert steps == [
        ("s1000000base", UPGRADE_ONLY),
        ("s2000000slow", STAMP),
        ("s3000000purge", UPGRADE_ONLY),
        ("s4000000tag", ROUND_TRIP),
    ]


def test_the_minimum_downgrade_revision_leaves_other_branches_round_tripped():
    steps = dict(plan("several_heads", minimum_downgrade_revision="w2000000left"))
    assert steps["w1000000base"] == steps["w2000000left"] == UPGRADE_ONLY
    assert steps["w3000000rght"] == steps["w4000000tail"] == ROUND_TRIP


def test_a_root_with_an_empty_downgrade_is_a_baseline_only_when_it_runs_a_sql_dump():
    assert plan("baseline_sql_dump")[0] == ("q1000000base", UPGRADE_ONLY)
    assert plan("baseline_pass")[0] == ("p1000000base", ROUND_TRIP)
    assert plan("baseline_pass", baselines=("p1000000base",))[0] == ("p1000000base", UPGRADE_ONLY)


def test_the_platform_baseline_is_round_tripped_since_its_downgrade_works():
    tree = load_tree(Path(__file__).resolve().parents[2] / "alembic")
    assert {s.action for s in plan_walk(tree)} == {ROUND_TRIP}


def test_a_non_root_revision_whose_downgrade_is_pass_is_round_tripped():
    assert dict(plan("downgrade_pass"))["r2000000name"] == ROUND_TRIP


@pytest.mark.parametrize(
    "policy, setting",
    [
        ({"skip_revisions": ("nope",)}, "verify.skip_revisions"),
        ({"minimum_downgrade_revision": "nope"}, "verify.minimum_downgrade_revision"),
        ({"baselines": ("nope",)}, "verify.baselines"),
    ],
)
def test_a_setting_naming_an_unknown_revision_is_a_configuration_error(policy, setting):
    with pytest.raises(ConfigError) as error:
        plan("skip_and_minimum", **policy)
    assert str(error.value).startswith(f"{setting}: unknown revision 'nope' in ")
    assert "skip_and_minimum" in str(error.value)


def _components(settings, monkeypatch, plugins=None):
    from manage_db import registry

    monkeypatch.setattr(registry, "plugin_components", lambda: dict(plugins or {}))
    settings = {"db_uri": "postgresql://asterisk@localhost/asterisk", **settings}
    return {c.name: c for c in registry.build_components(settings)}


def test_a_component_setting_wins_over_the_global_one(monkeypatch):
    tree = str(FIXTURES / "skip_and_minimum")
    settings = {
        "verify": {"skip_revisions": ["a"], "minimum_downgrade_revision": "m", "baselines": []},
        "components": {
            "chatd": {
                "script_location": tree,
                "version_table": "chatd_version",
                "verify": {"skip_revisions": ["b"]},
            },
            "auth": {"script_location": tree, "version_table": "auth_version"},
        },
    }
    components = _components(settings, monkeypatch)
    assert walk_policy(settings, components["chatd"]) == WalkPolicy(("b",), "m", ())
    assert walk_policy(settings, components["auth"]) == WalkPolicy(("a",), "m", ())
    assert walk_policy(settings) == WalkPolicy(("a",), "m", ())


def test_a_plugin_components_own_verify_mapping_is_honoured(monkeypatch):
    tree = str(FIXTURES / "skip_and_minimum")
    settings = {"verify": {"skip_revisions": ["a"]}, "components": {}}
    plugins = {"chatd": {"script_location": tree, "verify": {"baselines": ["b"]}}}
    chatd = _components(settings, monkeypatch, plugins)["chatd"]
    assert walk_policy(settings, chatd) == WalkPolicy(("a",), None, ("b",))
