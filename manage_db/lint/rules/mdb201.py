"""history: several heads (not one per labelled branch), a `down_revision` naming nothing,
duplicate ids, a cycle, a file not named `<revision>_…`, no `revision`/`down_revision`.

Why: alembic refuses to upgrade a tree with two heads, a ``down_revision`` that names nothing,
a duplicate id or a cycle, and a revision file without ``revision``/``down_revision`` is not a
revision at all; a file not named after its id is hard to find from ``alembic history``. File
names follow the tree's ``file_template`` (alembic.ini or pyproject.toml) when it sets one.
Instead: ``alembic merge heads`` (or rebase your revision on the current head), fix the id, and
keep file names ``<revision>_<slug>.py`` (or as the tree's ``file_template`` makes them).
"""

import re
from collections.abc import Iterator
from pathlib import PurePath

from manage_db.lint.model import ERROR, RevisionFacts, TreeFacts, TreeRule

_DEFAULT_TEMPLATE = "%(rev)s_%(slug)s"  # alembic's
# One %-format field of alembic's file_template: %(rev)s, %(year)d, %(month).2d, %(slug)s...
_TEMPLATE_FIELD = re.compile(r"%\((?P<name>\w+)\)[-#0 +]*\d*(?:\.\d+)?(?P<conversion>[sdif])")


def check(tree: TreeFacts) -> Iterator[tuple[str, int, int, str]]:
    files = [r for r in tree.revisions if r.kind == "revision"]
    template = tree.file_template
    any_regex = _template_regex(template or _DEFAULT_TEMPLATE, ".+?")
    any_id = re.compile(any_regex) if any_regex else None
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
        name = PurePath(facts.path).name
        if not _fits(name, facts.revision, template or _DEFAULT_TEMPLATE, any_id):
            yield facts.path, facts.revision_line, 1, _misnamed(facts.revision, template)
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
    if len(heads) > 1 and not _one_head_per_branch(heads, by_id):
        for rid in heads:
            others = ", ".join(h for h in heads if h != rid)
            yield by_id[rid].path, by_id[rid].revision_line, 1, f"several heads: {rid} and {others}"
    yield from _cycles(by_id)


def _one_head_per_branch(heads: list[str], by_id: dict[str, RevisionFacts]) -> bool:
    """Is each head on a branch of its own, one the tree named with ``branch_labels`` (as
    neutron's expand and contract branches; ``alembic upgrade heads`` follows them all)?"""
    labelled: set[str] = set()
    for head in heads:
        queue, seen = [head], {head}
        while queue and not by_id[queue[0]].branch_labelled:
            for parent in by_id[queue.pop(0)].down_revisions:
                if parent in by_id and parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        if not queue or queue[0] in labelled:
            return False
        labelled.add(queue[0])
    return True


def _misnamed(revision: str, template: str | None) -> str:
    if template is None:
        return f"file name does not start with its revision id {revision}"
    return f"file name does not fit the tree's file_template {template!r} with id {revision}"


def _template_regex(template: str, revision: str) -> str | None:
    """A regex of the file names alembic's ``file_template`` (a %-format) makes, ``revision``
    (a regex) where it puts the id; None when the template cannot be read (any name fits)."""
    template = template.replace("\\", "/").rsplit("/", 1)[-1]  # the file, not its folders
    if "%%(" in template:  # as written in the ini file, before its interpolation
        template = template.replace("%%", "%")
    parts = []
    position = 0
    for field in _TEMPLATE_FIELD.finditer(template):
        parts.append(re.escape(template[position : field.start()].replace("%%", "%")))
        if field.group("name") == "rev":
            parts.append(f"(?P<rev>{revision})")
        else:
            parts.append(r"-?\d+" if field.group("conversion") in "di" else ".*?")
        position = field.end()
    rest = template[position:].replace("%%", "%")
    if "%" in rest or "(?P<rev>" not in "".join(parts):
        return None
    return "".join(parts) + re.escape(rest) + r"\.py"


def _fits(name: str, revision: str, template: str, any_id: re.Pattern[str] | None) -> bool:
    """Does the file name fit the template with this revision id where it puts the id (or
    hold the id as a word of its own)?"""
    if any_id is None:
        return True
    match = any_id.fullmatch(name)
    if match is not None and match.group("rev") == revision:
        return True  # the usual case, without a regex per revision
    # A name edited by hand (``2023-11-29b_<rev>.py``) is still found by its id.
    if re.search(rf"(?<![0-9A-Za-z]){re.escape(revision)}(?![0-9A-Za-z])", name):
        return True
    exact = _template_regex(template, re.escape(revision))
    return exact is not None and re.fullmatch(exact, name) is not None


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
