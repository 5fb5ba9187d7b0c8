"""history: several heads, a `down_revision` naming nothing, duplicate ids, a cycle, a file
not named `<revision>_…`, no `revision`/`down_revision`.

Why: alembic refuses to upgrade a tree with two heads, a ``down_revision`` that names nothing,
a duplicate id or a cycle, and a revision file without ``revision``/``down_revision`` is not a
revision at all; a file not named after its id is hard to find from ``alembic history``.
Instead: ``alembic merge heads`` (or rebase your revision on the current head), fix the id, and
keep file names ``<revision>_<slug>.py``.
"""

from collections.abc import Iterator
from pathlib import PurePath

from manage_db.lint.model import ERROR, RevisionFacts, TreeFacts, TreeRule


def check(tree: TreeFacts) -> Iterator[tuple[str, int, int, str]]:
    files = [r for r in tree.revisions if r.kind == "revision"]
    by_id: dict[str, RevisionFacts] = {}
    for facts in files:
        if not facts.has_revision or facts.revision is None:
            yield facts.path, 1, 1, "no `revision = '<id>'` at module level"
            continue
        if not facts.has_down_revision:
            yield facts.path, facts.revision_line, 1, "no `down_revision` at module level"
        if facts.revision in by_id:
            first = by_id[facts.revision].path
            yield (
                facts.path,
                facts.revision_line,
                1,
                f"duplicate revision id {facts.revision} (also in {first})",
            )
            continue
        by_id[facts.revision] = facts
        if not PurePath(facts.path).name.startswith(facts.revision):
            yield (
                facts.path,
                facts.revision_line,
                1,
                f"file name does not start with its revision id {facts.revision}",
            )
    children: set[str] = set()
    for facts in by_id.values():
        for parent in facts.down_revisions:
            if parent not in by_id:
                yield (
                    facts.path,
                    facts.down_revision_line,
                    1,
                    f"down_revision {parent} names no revision in this tree",
                )
            children.add(parent)
    heads = sorted(rid for rid in by_id if rid not in children)
    if len(heads) > 1:
        for rid in heads:
            others = ", ".join(h for h in heads if h != rid)
            yield by_id[rid].path, by_id[rid].revision_line, 1, f"several heads: {rid} and {others}"
    yield from _cycles(by_id)


def _cycles(by_id: dict[str, RevisionFacts]) -> Iterator[tuple[str, int, int, str]]:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(by_id):
        path: list[str] = []
        stack = [(start, iter(by_id[start].down_revisions))]
        if state.get(start):
            continue
        state[start] = 1
        path.append(start)
        while stack:
            rid, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                state[rid] = 2
                stack.pop()
                path.pop()
                continue
            if parent not in by_id or state.get(parent) == 2:
                continue
            if state.get(parent) == 1:
                loop = path[path.index(parent) :] + [parent]
                facts = by_id[parent]
                yield facts.path, facts.down_revision_line, 1, "cycle: " + " -> ".join(loop)
                continue
            state[parent] = 1
            path.append(parent)
            stack.append((parent, iter(by_id[parent].down_revisions)))


RULE = TreeRule(
    code="MDB201",
    name="history",
    severity=ERROR,
    hint="rebase on the current head (down_revision) or merge heads; keep <revision>_<slug>.py",
    check=check,
)
