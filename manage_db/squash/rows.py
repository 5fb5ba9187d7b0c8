"""Rows of built databases compared, per-install values aside (the logic; no SQL).

Two builds of one history disagree only on what the history generates at upgrade time: a UUID
(alone in a cell, or inside a longer text such as ``'all-users-' || tenant_uuid``) or a
timestamp. Each such value gets a placeholder; a database's rows are then compared in their
*canonical* form, where each of its own per-install values reads as its placeholder (a
timestamp as one token for all: the baseline gives them all the transaction's ``now()``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from manage_db.squash.model import TIMESTAMP, UUID, BuiltState, PerInstallValue, TableRows

UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
PLACEHOLDER = re.compile(r"@@per_install_[0-9]+@@")
TIMESTAMP_TOKEN = "@@per_install_timestamp@@"
_TIME_TYPES = ("timestamp", "date", "time")

Row = tuple["str | None", ...]


@dataclass
class PerInstallMap:
    """A database's per-install values and the placeholder each one stands for."""

    whole: dict[str, str] = field(default_factory=dict)  # a cell's whole text -> placeholder
    uuids: dict[str, str] = field(default_factory=dict)  # a UUID inside any text -> placeholder

    def canonical(self, value: str | None) -> str | None:
        """The value with this database's per-install values read as their placeholders."""
        if value is None:
            return None
        if value in self.whole:
            return self.whole[value]
        if self.uuids and len(value) >= 36:
            return UUID_TEXT.sub(lambda m: self.uuids.get(m.group(0), m.group(0)), value)
        return value

    def learn(self, value: str, placeholder: str) -> bool:
        """Record that ``value`` stands for ``placeholder``; False when it contradicts."""
        known = self.whole.get(value)
        if known is not None:
            return known == placeholder
        self.whole[value] = placeholder
        return True


class Discovery:
    """The per-install values found by comparing two builds of the same history, row by row."""

    def __init__(self) -> None:
        self.values: list[PerInstallValue] = []
        self.first = PerInstallMap()  # the first build's values (the dump's source)
        self._second = PerInstallMap()
        self.problems: list[str] = []

    def compare(self, first: BuiltState, second: BuiltState) -> None:
        """Walk both builds' rows in order; every disagreement is a per-install value or a
        problem (rows that differ otherwise: the history is not deterministic)."""
        for name, table in sorted(first.tables.items()):
            other = second.tables.get(name)
            if other is None or len(other.rows) != len(table.rows):
                self.problems.append(f"table {name}: not the same rows in two builds")
                continue
            for row, other_row in zip(table.rows, other.rows, strict=True):
                for column, type_name, one, two in zip(
                    table.columns, table.types, row, other_row, strict=True
                ):
                    if one != two:
                        self._cell(f"{name}.{column}", type_name, one, two)

    def _cell(self, where: str, type_name: str, one: str | None, two: str | None) -> None:
        pairs = _pairs(type_name, one, two)
        if pairs is None:
            self.problems.append(
                f"column {where}: two builds of the history give {one!r} and {two!r}, neither "
                "a UUID nor a timestamp: a baseline cannot generate it anew"
            )
            return
        for kind, value, other in pairs:
            placeholder = self.first.whole.get(value) or self.first.uuids.get(value)
            if placeholder is None:
                placeholder = f"@@per_install_{len(self.values) + 1}@@"
                self.values.append(PerInstallValue(placeholder, kind, where))
                target = self.first.uuids if kind == UUID else self.first.whole
                target[value] = placeholder
            if kind == UUID:
                agrees = self._second.uuids.setdefault(other, placeholder) == placeholder
            else:
                agrees = self._second.learn(other, TIMESTAMP_TOKEN)
            if not agrees:
                self.problems.append(f"column {where}: {value!r} is not one per-install value")

    def canonical_second(self) -> PerInstallMap:
        """The second build's map for comparisons (its timestamps read as one token)."""
        return PerInstallMap(dict(self._second.whole), dict(self._second.uuids))

    def canonical_first(self) -> PerInstallMap:
        """The first build's map for comparisons: its timestamps read as one token."""
        kinds = {v.placeholder: v.kind for v in self.values}
        whole = {
            value: TIMESTAMP_TOKEN if kinds[p] == TIMESTAMP else p
            for value, p in self.first.whole.items()
        }
        return PerInstallMap(whole, dict(self.first.uuids))


def _pairs(type_name: str, one: str | None, two: str | None) -> list[tuple[str, str, str]] | None:
    """(kind, first value, second value) of the per-install values in one disagreeing cell."""
    if one is None or two is None:
        return None
    if UUID_TEXT.fullmatch(one) and UUID_TEXT.fullmatch(two):
        return [(UUID, one, two)]
    if type_name.startswith(_TIME_TYPES):
        return [(TIMESTAMP, one, two)]
    first, second = UUID_TEXT.findall(one), UUID_TEXT.findall(two)
    if not first or len(first) != len(second):
        return None
    if UUID_TEXT.sub("", one) != UUID_TEXT.sub("", two):
        return None
    return [(UUID, a, b) for a, b in zip(first, second, strict=True)]


def learn_from_template(
    template: Mapping[str, TableRows], built: BuiltState, kinds: Mapping[str, str]
) -> tuple[PerInstallMap, list[str]]:
    """The per-install values of a database built from the baseline, found by lining its rows
    (physical order: as the dump inserted them) up with the dump's rows (placeholders in)."""
    learned = PerInstallMap()
    problems: list[str] = []
    for name, table in sorted(template.items()):
        rows = built.tables.get(name)
        if rows is None or len(rows.rows) != len(table.rows):
            continue  # the comparison of canonical rows names it
        for expected_row, row in zip(table.rows, rows.rows, strict=True):
            for expected, value in zip(expected_row, row, strict=False):
                if expected is None or value is None or "@@per_install_" not in expected:
                    continue
                if not _learn_cell(learned, expected, value, kinds):
                    problems.append(f"table {name}: {value!r} where the dump has {expected!r}")
    return learned, problems


def _learn_cell(
    learned: PerInstallMap, expected: str, value: str, kinds: Mapping[str, str]
) -> bool:
    if PLACEHOLDER.fullmatch(expected):
        token = TIMESTAMP_TOKEN if kinds.get(expected) == TIMESTAMP else expected
        if token == TIMESTAMP_TOKEN:
            return learned.learn(value, token)
        return learned.uuids.setdefault(value, expected) == expected
    placeholders, uuids = PLACEHOLDER.findall(expected), UUID_TEXT.findall(value)
    if len(placeholders) != len(uuids):
        return False
    for placeholder, found in zip(placeholders, uuids, strict=True):
        if learned.uuids.setdefault(found, placeholder) != placeholder:
            return False
    return True


def compare_rows(
    expected: BuiltState,
    expected_map: PerInstallMap,
    actual: BuiltState,
    actual_map: PerInstallMap,
) -> list[str]:
    """One line per table whose rows differ, in canonical form and in any order."""
    lines = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        one, two = expected.tables.get(name), actual.tables.get(name)
        if one is None or two is None:
            continue  # a missing table: the schema comparison names it
        left = sorted(_canonical_rows(one, expected_map), key=repr)
        right = sorted(_canonical_rows(two, actual_map), key=repr)
        if left != right:
            lines.append(_row_difference(name, left, right))
    return lines


def _canonical_rows(table: TableRows, per_install: PerInstallMap) -> Iterator[Row]:
    for row in table.rows:
        yield tuple(
            f"{c}={per_install.canonical(v)}" for c, v in zip(table.columns, row, strict=True)
        )


def _row_difference(name: str, left: list[Row], right: list[Row]) -> str:
    missing = [r for r in left if r not in right]
    extra = [r for r in right if r not in left]
    detail = []
    if missing:
        detail.append(f"{len(missing)} row(s) missing, e.g. ({', '.join(map(str, missing[0]))})")
    if extra:
        detail.append(f"{len(extra)} row(s) extra, e.g. ({', '.join(map(str, extra[0]))})")
    if not detail:
        detail.append(f"{len(left)} rows expected, {len(right)} found")
    return f"rows of table {name}: {'; '.join(detail)}"
