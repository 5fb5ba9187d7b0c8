"""Findings an earlier revision made moot: a SET NOT NULL after an ancestor validated its check.

A statement rule sees one revision; some of its findings (``Finding.settled_by``) do not hold
when an ancestor revision's upgrade() provided a fact (``RevisionFacts.provides``). Both are
cached with their file, so this runs over the cached facts of the whole tree, like the
history rules.
"""

from __future__ import annotations

from manage_db.lint.model import Finding, RevisionFacts


def settle(findings: list[Finding], facts: list[RevisionFacts]) -> list[Finding]:
    """``findings`` without those a fact of an ancestor of their revision settles."""
    if not any(finding.settled_by for finding in findings):
        return findings
    by_path = {item.path: item for item in facts}
    by_id = {item.revision: item for item in facts if item.kind == "revision" and item.revision}
    kept = []
    for finding in findings:
        own = by_path.get(finding.path)
        if finding.settled_by and own is not None and own.kind == "revision":
            if set(finding.settled_by) & _inherited(own, by_id):
                continue
        kept.append(finding)
    return kept


def _inherited(revision: RevisionFacts, by_id: dict[str, RevisionFacts]) -> set[str]:
    """The facts the ancestors of ``revision`` provide (cycles and unknown ids ignored).

    ``FACT if CONDITION`` holds when another ancestor provides CONDITION (a check added
    ``NOT VALID`` by one revision, validated by a later one).
    """
    provided = _provided(revision, by_id)
    for entry in [item for item in provided if " if " in item]:
        fact, _, condition = entry.partition(" if ")
        if condition in provided:
            provided.add(fact)
    return provided


def _provided(revision: RevisionFacts, by_id: dict[str, RevisionFacts]) -> set[str]:
    provided: set[str] = set()
    seen: set[str] = set()
    stack = list(revision.down_revisions)
    while stack:
        ancestor = by_id.get(stack.pop())
        if ancestor is None or ancestor.revision in seen:
            continue
        seen.add(ancestor.revision or "")
        provided.update(ancestor.provides)
        stack.extend(ancestor.down_revisions)
    return provided
