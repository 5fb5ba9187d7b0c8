"""Which SQL dump files a revision's ``upgrade()`` runs, read from its source (never imported).

The platform squashes old history into a baseline revision whose ``upgrade()`` executes a SQL
dump kept in the tree (``alembic/sql/…`` here, ``versions/baseline-2514.sql`` in wazo-auth) and
whose ``downgrade()`` does nothing. A string ending in ``.sql`` that ``upgrade()`` names, directly
or through a module-level constant, and that matches a file of the tree, is such a dump.
"""

from __future__ import annotations

import ast
from pathlib import Path


def sql_dumps_run_by_upgrade(revision_file: Path, script_location: Path) -> tuple[Path, ...]:
    """The ``.sql`` files of the tree that ``revision_file``'s ``upgrade()`` names (empty when
    none, or when the file cannot be read or parsed)."""
    try:
        module = ast.parse(Path(revision_file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    upgrade = next(
        (
            node
            for node in module.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "upgrade"
        ),
        None,
    )
    if upgrade is None:
        return ()
    names = _sql_names(upgrade)
    used = {node.id for node in ast.walk(upgrade) if isinstance(node, ast.Name)}
    for node in module.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in used for t in targets):
                names |= _sql_names(node)
    return tuple(sorted(_existing(names, Path(revision_file).parent, Path(script_location))))


def _sql_names(node: ast.AST) -> set[str]:
    return {
        Path(child.value).name
        for child in ast.walk(node)
        if isinstance(child, ast.Constant)
        and isinstance(child.value, str)
        and child.value.lower().endswith(".sql")
    }


def _existing(names: set[str], beside: Path, tree: Path) -> set[Path]:
    found: set[Path] = set()
    for name in names:
        if (beside / name).is_file():
            found.add(beside / name)
            continue
        found.update(path for path in tree.rglob(name) if path.is_file())
    return found
