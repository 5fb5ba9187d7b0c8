"""released-revision-changed: a revision recorded as released was edited or removed.

Why: released revisions already ran on customers' databases; editing one changes nothing there
and makes fresh installs differ from upgraded ones.
Instead: restore the file and write a new revision; after a release, record the new revisions
with ``wazo-manage-db release``.
"""

from collections.abc import Iterator

from manage_db.lint.model import ERROR, RevisionFacts, TreeFacts, TreeRule


def check(tree: TreeFacts) -> Iterator[tuple[str, int, int, str]]:
    if tree.released is None:
        return
    current: dict[str, RevisionFacts] = {}
    for facts in tree.revisions:
        key = facts.revision if facts.kind == "revision" else facts.path
        if key is not None:
            current.setdefault(key, facts)
    for entry in tree.released:
        found = current.get(entry.key)
        if found is None:
            what = "revision" if entry.key != entry.path else "file"
            yield (
                tree.manifest_path,
                entry.line,
                1,
                f"released {what} {entry.key} ({entry.path}) is gone",
            )
        elif found.checksum != entry.checksum:
            yield found.path, 1, 1, f"released {entry.key} was edited since it was recorded"


RULE = TreeRule(
    code="MDB401",
    name="released-revision-changed",
    severity=ERROR,
    hint="restore the released file and put the change in a new revision",
    check=check,
)
