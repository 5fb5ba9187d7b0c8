"""squash's row comparison: which disagreements are values generated per install."""

from __future__ import annotations

from manage_db.squash.model import BuiltState, TableRows
from manage_db.squash.rows import TIMESTAMP_TOKEN, Discovery, compare_rows

A = "6f1c2a44-1d1b-4f6a-9f0e-0c3b8d1e2a11"
B = "0b9e5d33-7c2a-4b1e-8d4f-5e6a7b8c9d00"


def _state(**tables: list[tuple]) -> BuiltState:
    return BuiltState(
        {},
        {},
        {
            name: TableRows(
                name, ("a", "b"), ("text", "timestamp with time zone"), False, tuple(rows)
            )
            for name, rows in tables.items()
        },
    )


def test_a_uuid_alone_or_inside_a_text_is_one_per_install_value():
    discovery = Discovery()
    discovery.compare(
        _state(t=[(A, "2026-01-01"), (f"all-{A}", "2026-01-01")]),
        _state(t=[(B, "2026-01-01"), (f"all-{B}", "2026-01-01")]),
    )
    assert not discovery.problems
    assert [v.kind for v in discovery.values] == ["uuid"]
    assert discovery.first.canonical(f"all-{A}") == "all-@@per_install_1@@"


def test_a_timestamp_column_is_per_install_and_any_other_disagreement_is_a_problem():
    discovery = Discovery()
    discovery.compare(
        _state(t=[("x1", "2026-01-01 10:00"), ("same", "2026-01-01")]),
        _state(t=[("x2", "2026-01-01 11:00"), ("same", "2026-01-01")]),
    )
    assert [v.kind for v in discovery.values] == ["timestamp"]
    assert discovery.canonical_first().canonical("2026-01-01 10:00") == TIMESTAMP_TOKEN
    assert len(discovery.problems) == 1 and "column t.a" in discovery.problems[0]


def test_rows_compare_in_any_order_and_name_what_is_missing():
    discovery = Discovery()
    one = _state(t=[("x", None), ("y", None)])
    two = _state(t=[("y", None)])
    lines = compare_rows(one, discovery.first, two, discovery.first)
    assert lines == ["rows of table t: 1 row(s) missing, e.g. (a=x, b=None)"]
    assert (
        compare_rows(one, discovery.first, _state(t=[("y", None), ("x", None)]), discovery.first)
        == []
    )
