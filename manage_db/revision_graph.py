"""The history of one tree: revisions, how they link, and the orders they apply in.

A plain model, built by ``manage_db.dao.revision_files.load_graph`` from the revision files (read
as text, never imported) and used by status, upgrade, downgrade, stamp, history and revision.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

from manage_db.errors import TreeError


@dataclass(frozen=True)
class RevisionFile:
    """One revision as its file declares it."""

    revision: str
    down_revisions: tuple[str, ...]
    path: Path
    message: str = ""


@dataclass
class RevisionGraph:
    """The revisions of one tree and how they link."""

    script_location: Path
    revisions: dict[str, RevisionFile] = field(default_factory=dict)

    def heads(self) -> tuple[str, ...]:
        """Revisions no other revision builds on, sorted."""
        parents = {p for r in self.revisions.values() for p in r.down_revisions}
        return tuple(sorted(r for r in self.revisions if r not in parents))

    def resolve(self, name: str) -> str:
        """The full id of a revision given by id or unique prefix; TreeError when unknown."""
        if name in self.revisions:
            return name
        matches = [r for r in self.revisions if r.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise TreeError(
                f"revision '{name}' is ambiguous in {self.script_location}: "
                f"{', '.join(sorted(matches))}"
            )
        raise TreeError(f"unknown revision '{name}' in {self.script_location}")

    def check_known(self, current: tuple[str, ...], component: str) -> None:
        """TreeError when ``component``'s database is at a revision this tree does not have."""
        for rev in current:
            if rev not in self.revisions:
                raise TreeError(
                    f"{component}: the database is at revision '{rev}', which is not in "
                    f"{self.script_location}"
                )

    def ancestors(self, revision: str) -> set[str]:
        """The revision and every revision it builds on."""
        seen: set[str] = set()
        todo = [revision]
        while todo:
            rev = todo.pop()
            if rev in seen or rev not in self.revisions:
                continue
            seen.add(rev)
            todo.extend(self.revisions[rev].down_revisions)
        return seen

    def pending(self, current: tuple[str, ...], targets: tuple[str, ...]) -> list[str]:
        """Revisions between ``current`` and ``targets``, in the order they apply."""
        applied: set[str] = set()
        for rev in current:
            applied |= self.ancestors(rev)
        wanted: set[str] = set()
        for rev in targets:
            wanted |= self.ancestors(rev)
        todo = wanted - applied
        # Kahn's algorithm over the pending part; a heap keeps the order stable (by id).
        waiting = {r: sum(1 for p in self.revisions[r].down_revisions if p in todo) for r in todo}
        children: dict[str, list[str]] = {}
        for rev in todo:
            for parent in self.revisions[rev].down_revisions:
                if parent in todo:
                    children.setdefault(parent, []).append(rev)
        ready = [r for r, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            rev = heapq.heappop(ready)
            order.append(rev)
            for child in children.get(rev, ()):
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(ready, child)
        if len(order) != len(todo):
            raise TreeError(f"revision cycle in {self.script_location}")
        return order

    def history(self) -> list[RevisionFile]:
        """Every revision, base first."""
        return [self.revisions[r] for r in self.pending((), self.heads())]

    def branch_points(self) -> tuple[str, ...]:
        """Revisions more than one revision builds on, sorted."""
        children: dict[str, int] = {}
        for rev in self.revisions.values():
            for parent in rev.down_revisions:
                children[parent] = children.get(parent, 0) + 1
        return tuple(sorted(r for r, count in children.items() if count > 1))

    def merge_points(self) -> tuple[str, ...]:
        """Revisions that join several parents, sorted."""
        joins = (r.revision for r in self.revisions.values() if len(r.down_revisions) > 1)
        return tuple(sorted(joins))

    def has_cycle(self) -> bool:
        """True when following down_revision links can come back to where it started."""
        try:
            self.pending((), tuple(self.revisions))
        except TreeError:
            return True
        return False
