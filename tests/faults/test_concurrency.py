"""Many runs at once: concurrent upgrades from base, concurrent inits."""

from __future__ import annotations

import json
import time

from fault_harness import figure, finish

REVISIONS = ["e1e1e1e1e1e1", "e2e2e2e2e2e2", "e3e3e3e3e3e3", "e4e4e4e4e4e4", "e5e5e5e5e5e5"]
RUNS, ROUNDS = 8, 10


def logging_tree() -> list[tuple[str, str | None, str, str]]:
    """Each revision creates a table and writes its id to ``run_log`` (which downgrades keep)."""
    tree = []
    for index, rev in enumerate(REVISIONS):
        down = REVISIONS[index - 1] if index else None
        up = (
            f'op.execute("CREATE TABLE t_{rev} (id int)")\n'
            f"op.execute(\"INSERT INTO run_log VALUES ('{rev}')\")"
        )
        tree.append((rev, down, up, f'op.drop_table("t_{rev}")'))
    return tree


def test_eight_concurrent_upgrades_ten_rounds_apply_each_revision_once(make_component):
    component = make_component(logging_tree())
    component.query("CREATE TABLE run_log (rev text)")
    exited_ok = 0
    started = time.monotonic()
    for round_number in range(1, ROUNDS + 1):
        runs = [component.start("upgrade") for _ in range(RUNS)]
        outcomes = [finish(run, timeout=150) for run in runs]
        exited_ok += sum(code == 0 for code, _, _ in outcomes)
        assert [code for code, _, _ in outcomes] == [0] * RUNS, outcomes
        assert component.version() == [REVISIONS[-1]]
        counts = dict(component.query("SELECT rev, count(*) FROM run_log GROUP BY rev"))
        assert counts == {rev: round_number for rev in REVISIONS}
        reset = component.run("downgrade", "base")
        assert reset.returncode == 0, reset
    counts = dict(component.query("SELECT rev, count(*) FROM run_log GROUP BY rev"))
    figure("runs that exited 0", f"{exited_ok}/{RUNS * ROUNDS}")
    figure("revisions applied twice in a round", sum(c - ROUNDS for c in counts.values()))
    figure("seconds for all rounds", f"{time.monotonic() - started:.1f}")


INITS = 4


def test_four_concurrent_inits_report_each_object_created_exactly_once(make_component):
    # init's message on this branch: "created role R; created database D; created schema S; …"
    component = make_component(
        logging_tree(), init=False, own={"schema": "demo", "extensions": ["hstore", "pgcrypto"]}
    )
    runs = [component.start("init", "--json") for _ in range(INITS)]
    outcomes = [finish(run, timeout=60) for run in runs]
    assert [code for code, _, _ in outcomes] == [0] * INITS, outcomes
    reported = [
        action
        for _, out, _ in outcomes
        for result in json.loads(out)
        for action in result["message"].split("; ")
        if action.startswith("created ")
    ]
    kinds = [action.split()[1] for action in reported]
    figure("objects reported created", f"{len(reported)} (role, database, schema, 2 extensions)")
    assert sorted(kinds) == ["database", "extension", "extension", "role", "schema"]
    assert len(set(reported)) == len(reported)
    assert {r[0] for r in component.query("SELECT extname FROM pg_extension")} >= {
        "hstore",
        "pgcrypto",
    }
