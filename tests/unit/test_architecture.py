"""The import rules and the size limit of docs/architecture.md, checked on manage_db's source.

Every import counts: at the top of a module, inside a function (the lazy imports that keep
``status`` fast), under ``TYPE_CHECKING``, and ``importlib.import_module``/``__import__`` of a
literal name.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "manage_db"
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, e.g. manage_db/services/status.py
    line: int
    module: str  # absolute dotted name

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module}"


@dataclass(frozen=True)
class Function:
    path: str
    line: int
    name: str
    length: int  # the def line to the last line, docstring included

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name}() is {self.length} lines"


@functools.cache
def _modules(package: Path) -> list[tuple[str, str, ast.Module]]:
    """(path relative to the repository, dotted package of the module, syntax tree)."""
    return list(_parse(package))


def _parse(package: Path) -> Iterator[tuple[str, str, ast.Module]]:
    for file in sorted(package.rglob("*.py")):
        relative = file.relative_to(package.parent)
        if relative.parts[1:2] == ("platform",):  # a build's copy of the platform tree
            continue
        # The package relative imports start from: the directory, for __init__.py too.
        dotted_package = ".".join(relative.parts[:-1])
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        yield relative.as_posix(), dotted_package, tree


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*parent, *([base] if base else [])])
        # ``from manage_db import dao`` imports manage_db.dao.
        return [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def imports(package: Path) -> list[Import]:
    """Every import in ``package``, one per (file, line, module)."""
    found = {
        Import(path, node.lineno, name)
        for path, dotted, tree in _modules(package)
        for node in ast.walk(tree)
        for name in _imported_names(node, dotted)
    }
    return sorted(found, key=lambda i: (i.path, i.line, i.module))


def functions(package: Path) -> list[Function]:
    """Every function and method in ``package`` (nested ones too)."""
    return [
        Function(path, node.lineno, node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for path, _, tree in _modules(package)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def _first_per_line(found: list[Import]) -> list[Import]:
    """One finding per import statement (``from alembic import op`` also names alembic.op)."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for item in found:
        if (item.path, item.line) not in seen:
            seen.add((item.path, item.line))
            kept.append(item)
    return kept


def _is_in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def alembic_outside_runtime(package: Path) -> list[Import]:
    """Modules outside manage_db/runtime/ that import alembic or SQLAlchemy."""
    return _first_per_line(
        [
            i
            for i in imports(package)
            if not i.path.startswith("manage_db/runtime/")
            and _is_in(i.module, "alembic", "sqlalchemy")
        ]
    )


def driver_above_dao(package: Path) -> list[Import]:
    """Services and commands that import the PostgreSQL driver."""
    return _first_per_line(
        [
            i
            for i in imports(package)
            if i.path.startswith(("manage_db/services/", "manage_db/commands/"))
            and _is_in(i.module, "psycopg2", "psycopg")
        ]
    )


def dao_in_commands(package: Path) -> list[Import]:
    """Commands that import manage_db.dao."""
    return _first_per_line(
        [
            i
            for i in imports(package)
            if i.path.startswith("manage_db/commands/") and _is_in(i.module, "manage_db.dao")
        ]
    )


def lint_outside_lint(package: Path) -> list[Import]:
    """Modules other than lint's own (its package and its commands, ``commands/lint*.py``) that
    import manage_db.lint.

    What others need of SQL (parsing, locks, volatile functions, SQL in a revision) is in
    manage_db/sql/; lint is a package of rules.
    """
    return _first_per_line(
        [
            i
            for i in imports(package)
            if not i.path.startswith("manage_db/lint/")
            and not i.path.startswith("manage_db/commands/lint")
            and _is_in(i.module, "manage_db.lint")
        ]
    )


def pglast_outside_sql(package: Path) -> list[Import]:
    """Modules outside manage_db/sql/ that import pglast (the optional lint extra): reading SQL
    has one home, and the upgrade path never loads the parser."""
    return _first_per_line(
        [
            i
            for i in imports(package)
            if not i.path.startswith("manage_db/sql/") and _is_in(i.module, "pglast")
        ]
    )


def long_functions(package: Path) -> list[Function]:
    """Functions longer than MAX_FUNCTION_LINES."""
    return [f for f in functions(package) if f.length > MAX_FUNCTION_LINES]


def _report(found: list, rule: str) -> str:
    return f"{rule}:\n" + "\n".join(f"  {item}" for item in found)


def test_only_the_runtime_imports_alembic_or_sqlalchemy():
    found = alembic_outside_runtime(PACKAGE)
    assert not found, _report(found, "only manage_db/runtime/ may use alembic and SQLAlchemy")


def test_services_and_commands_import_no_driver():
    found = driver_above_dao(PACKAGE)
    assert not found, _report(found, "the driver (psycopg2) is dao's: services and commands")


def test_commands_import_no_dao():
    found = dao_in_commands(PACKAGE)
    assert not found, _report(found, "a command calls a service, never dao")


def test_only_lint_and_its_command_import_lint():
    found = lint_outside_lint(PACKAGE)
    assert not found, _report(found, "lint is rules: shared SQL analysis is in manage_db/sql/")


def test_only_the_sql_package_imports_pglast():
    found = pglast_outside_sql(PACKAGE)
    assert not found, _report(found, "SQL is read in manage_db/sql/ only")


def test_no_function_is_longer_than_60_lines():
    found = long_functions(PACKAGE)
    assert not found, _report(found, f"at most {MAX_FUNCTION_LINES} lines per function")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_each_rule_names_the_file_and_line_that_breaks_it(tmp_path):
    package = tmp_path / "manage_db"
    _write(package / "runtime" / "adapter.py", "from alembic import context\n")
    _write(package / "services" / "lazy.py", "def f():\n    import psycopg2.extensions\n")
    _write(package / "services" / "typed.py", "if 1:\n    from psycopg2 import sql\n")
    _write(
        package / "lint" / "render.py", "import x\n\n\ndef f():\n    from sqlalchemy import text\n"
    )
    _write(
        package / "lint" / "dynamic.py", "import importlib\nimportlib.import_module('alembic.op')\n"
    )
    _write(package / "commands" / "__init__.py", "")
    _write(package / "commands" / "absolute.py", "from manage_db import dao\n")
    _write(package / "commands" / "relative.py", "\nfrom ..dao.connection import parse_uri\n")
    _write(package / "services" / "plan.py", "from manage_db.lint.rules import mdb503\n")
    _write(package / "sql" / "locks.py", "\n\nfrom manage_db.lint import model\n")
    _write(package / "lint" / "service.py", "from manage_db.lint import rules\n")
    _write(package / "commands" / "lint.py", "from manage_db.lint.service import lint_paths\n")
    _write(package / "long.py", "def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES)
    _write(package / "short.py", "def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1))

    assert [str(i) for i in alembic_outside_runtime(package)] == [
        "manage_db/lint/dynamic.py:2: imports alembic.op",
        "manage_db/lint/render.py:5: imports sqlalchemy",
    ]
    assert [str(i) for i in driver_above_dao(package)] == [
        "manage_db/services/lazy.py:2: imports psycopg2.extensions",
        "manage_db/services/typed.py:2: imports psycopg2",
    ]
    assert [str(i) for i in dao_in_commands(package)] == [
        "manage_db/commands/absolute.py:1: imports manage_db.dao",
        "manage_db/commands/relative.py:2: imports manage_db.dao.connection",
    ]
    assert [str(i) for i in lint_outside_lint(package)] == [
        "manage_db/services/plan.py:1: imports manage_db.lint.rules",
        "manage_db/sql/locks.py:3: imports manage_db.lint",
    ]
    assert [str(f) for f in long_functions(package)] == ["manage_db/long.py:1: f() is 61 lines"]


# The front doors: the console script (launcher), the click command line (cli), and what both
# start a run with (app).
ENTRY_POINTS = ("manage_db.launcher", "manage_db.cli", "manage_db.app")


def _module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports (anywhere in it, lazily too)."""
    modules = {_module_name(path) for path, _, _ in _modules(package)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for item in imports(package):
        name = item.module
        while name and name not in modules:  # ``from a.b import c``: c may be a function
            name = name.rpartition(".")[0]
        source = _module_name(item.path)
        if name and name != source and not _is_in(source, name):
            graph[source].add(name)
    return graph


def cycles_through(graph: dict[str, set[str]], modules: tuple[str, ...]) -> list[list[str]]:
    """For each of ``modules``, a shortest import cycle that leads back to it, if any."""
    found = []
    for start in modules:
        paths = {start: [start]}
        queue = [start]
        while queue:
            current = queue.pop(0)
            if start in graph.get(current, ()):
                found.append([*paths[current], start])
                break
            for nxt in sorted(graph.get(current, ())):
                if nxt not in paths:
                    paths[nxt] = [*paths[current], nxt]
                    queue.append(nxt)
    return found


def test_no_import_cycle_runs_through_an_entry_point():
    found = cycles_through(import_graph(PACKAGE), ENTRY_POINTS)
    assert not found, "import cycles through the front doors:\n" + "\n".join(
        "  " + " -> ".join(cycle) for cycle in found
    )


def test_the_launcher_imports_no_click():
    found = [
        i
        for i in imports(PACKAGE)
        if i.path == "manage_db/launcher.py" and _is_in(i.module, "click")
    ]
    assert not found, _report(found, "the fast path runs without click")


def test_a_cycle_through_an_entry_point_is_named(tmp_path):
    package = tmp_path / "manage_db"
    _write(package / "__init__.py", "")
    _write(package / "launcher.py", "def main():\n    from manage_db.cli import main\n")
    _write(package / "cli.py", "def f():\n    from manage_db.launcher import start\n")
    _write(package / "app.py", "from manage_db import config\n")
    _write(package / "config.py", "")
    assert cycles_through(import_graph(package), ENTRY_POINTS) == [
        ["manage_db.launcher", "manage_db.cli", "manage_db.launcher"],
        ["manage_db.cli", "manage_db.launcher", "manage_db.cli"],
    ]
