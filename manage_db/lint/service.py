"""Lint migration trees: the service the ``lint`` and ``release`` commands call.

A *tree* is an alembic script_location: ``versions/**/*.py`` are revisions, every ``*.sql``
below it is SQL (baseline dumps). Per-file results are cached by content; the history and
release rules then run over all files' facts, so a warm run reads and hashes files only.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manage_db.errors import TreeError
from manage_db.lint import manifest
from manage_db.lint.cache import Cache
from manage_db.lint.config import LintSettings
from manage_db.lint.model import (
    ERROR,
    WARNING,
    Finding,
    ReleasedEntry,
    RevisionFacts,
    TreeFacts,
    TreeRule,
)
from manage_db.lint.policy import apply_policy
from manage_db.lint.settling import settle
from manage_db.lint.suppressions import Suppressions

# Trees with at least this many changed revisions are analysed in one process per core.
PARALLEL_MIN_FILES = 200


@dataclass
class LintReport:
    """Findings of a run, sorted, with the counts the exit code depends on."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    revisions: int = 0
    # Revisions whose op.* calls lint saw (rendered offline or read from the source)
    revisions_seen: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, strict: bool) -> bool:
        return self.count(ERROR) > 0 or (strict and self.count(WARNING) > 0)


@dataclass
class _Source:
    relpath: str
    path: Path
    data: bytes
    digest: str


def find_tree(path: Path) -> tuple[Path, Path | None]:
    """(tree root, the single file asked for or None) for a path given on the command line."""
    path = path.resolve()
    if not path.exists():
        raise TreeError(f"{path}: no such file or directory")
    if path.is_file():
        for parent in path.parents:
            if (parent / "env.py").exists() or (parent / "script.py.mako").exists():
                return parent, path
            if parent.name == "versions":
                return parent.parent, path
        return path.parent, path
    if path.name == "versions":
        return path.parent, None
    if path.parent.name == "versions":  # one of several version locations (one per dialect)
        return path, None
    if (path / "alembic.ini").exists() and not (path / "versions").is_dir():
        located = _script_location(path / "alembic.ini")
        if located is not None:
            return located, None
    return path, None


def _script_location(ini: Path) -> Path | None:
    value = _ini_option(ini, "script_location")
    if value is None:
        return None
    location = Path(value)
    return location if location.is_absolute() else ini.parent / location


def _ini_option(ini: Path, option: str) -> str | None:
    """An option of an alembic.ini's ``[alembic]`` section, as alembic reads it (``%%`` is %)."""
    import configparser

    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    try:
        parser.read(ini, encoding="utf-8")
        return parser.get("alembic", option)
    except (configparser.Error, OSError):
        return None


# How many folders above a tree an alembic.ini naming it is looked for.
_INI_LEVELS = 4


def file_template(root: Path) -> str | None:
    """The ``file_template`` alembic names this tree's revisions with, if one is set.

    From the alembic.ini that names the tree (the tree's folder or one of the few above it;
    the section whose ``script_location`` is the tree, or ``[alembic]``), else the
    ``[tool.alembic]`` of a pyproject.toml beside the tree.
    """
    if root.parent.name == "versions":  # a version location: the tree is above it
        root = root.parent.parent
    for folder in [root, *root.parents][: _INI_LEVELS + 1]:
        ini = folder / "alembic.ini"
        if not ini.is_file():
            continue
        import configparser

        parser = configparser.ConfigParser(defaults={"here": str(folder)})
        try:
            parser.read(ini, encoding="utf-8")
            for section in parser.sections():
                location = parser.get(section, "script_location", fallback=None)
                if location and _is_location_of(location, folder, root):
                    return parser.get(
                        section, "file_template", fallback=_ini_option(ini, "file_template")
                    )
        except (configparser.Error, OSError):
            continue
        # Beside the tree (or in it): its own, unless it names another tree that exists.
        location = parser.get("alembic", "script_location", fallback=None)
        if folder in (root, root.parent) and not _names_another_tree(location, folder, root):
            return _ini_option(ini, "file_template")
    return _pyproject_file_template(root.parent / "pyproject.toml")


def _is_location_of(location: str, base: Path, root: Path) -> bool:
    """Does an ini's ``script_location`` (a path, or ``package:folder``) name the tree?"""
    package, colon, folder = location.partition(":")
    if colon and len(package) > 1:  # package resources: the tree's path ends with them
        tail = Path(*package.split("."), *Path(folder).parts)
        return root.parts[-len(tail.parts) :] == tail.parts
    path = Path(location)
    return (path if path.is_absolute() else base / path).resolve() == root.resolve()


def _names_another_tree(location: str | None, base: Path, root: Path) -> bool:
    if location is None or ":" in location:
        return False
    path = Path(location) if Path(location).is_absolute() else base / location
    return path.is_dir() and path.resolve() != root.resolve()


def _pyproject_file_template(pyproject: Path) -> str | None:
    if not pyproject.is_file():
        return None
    import tomllib

    try:
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return None
    template = tool.get("alembic", {}).get("file_template")
    return template if isinstance(template, str) else None


# Version locations of a tree that keeps one history per database (versions/postgresql,
# versions/sqlite): those of other databases than PostgreSQL are not read.
_OTHER_DIALECTS = frozenset({"sqlite", "mysql", "mariadb", "oracle", "mssql"})


def _discover(root: Path) -> tuple[list[Path], list[Path]]:
    revisions: list[Path] = []
    sql_files: list[Path] = []
    top = str(root)
    is_version_location = root.parent.name == "versions"
    for folder, dirs, files in os.walk(top):
        other = _OTHER_DIALECTS if os.path.basename(folder) == "versions" else frozenset()
        dirs[:] = sorted(
            d for d in dirs if not d.startswith((".", "__pycache__")) and d not in other
        )
        in_versions = is_version_location or "versions" in os.path.relpath(folder, top).split(
            os.sep
        )
        for name in sorted(files):
            if name.endswith(".sql"):
                sql_files.append(Path(folder, name))
            elif in_versions and name.endswith(".py") and name != "__init__.py":
                revisions.append(Path(folder, name))
    return revisions, sql_files


def _read(root: Path, paths: list[Path]) -> list[_Source]:
    sources = []
    top = os.path.join(str(root), "")
    for path in paths:
        data = path.read_bytes()
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        name = str(path)
        # Plain string work: pathlib's relative_to costs more than the rest for 1,000 files.
        relpath = name[len(top) :] if name.startswith(top) else path.relative_to(root).as_posix()
        sources.append(_Source(relpath.replace(os.sep, "/"), path, data, digest))
    return sources


@dataclass
class _Files:
    """What lint knows of every file of a tree: facts, findings and noqa comments."""

    facts: list[RevisionFacts] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressions: dict[str, Suppressions] = field(default_factory=dict)

    def keep(self, relpath: str, entry: dict[str, Any] | None) -> None:
        assert entry is not None  # every file was analysed or found in the cache
        self.facts.append(RevisionFacts.from_dict(entry["facts"]))
        self.findings.extend(Finding.from_dict(f) for f in entry["findings"])
        self.suppressions[relpath] = Suppressions.from_dict(entry["suppressions"])


def lint_tree(root: Path, settings: LintSettings, only: Path | None = None) -> LintReport:
    """Lint one tree; with ``only``, report that file's findings plus tree-wide ones."""
    revision_paths, sql_paths = _discover(root)
    if only is not None and only not in revision_paths and only not in sql_paths:
        (sql_paths if only.suffix == ".sql" else revision_paths).append(only)
    cache = Cache(root, settings.cache)
    sql_sources = _read(root, sql_paths)
    py_sources = _read(root, revision_paths)
    files = _analyse(cache, sql_sources, py_sources)
    files.findings = settle(files.findings, files.facts)
    released = manifest.read(root / settings.manifest)
    if released is not None:
        _fill_checksums(files.facts, {s.relpath: s for s in py_sources}, cache)
    cache.save({s.relpath for s in py_sources + sql_sources})
    facts = TreeFacts(files.facts, settings.manifest, released, file_template(root))
    files.findings.extend(_tree_findings(facts))
    return _report(root, settings, only, files, len(py_sources) + len(sql_sources))


def lint_sql_file(root: Path, path: Path, settings: LintSettings) -> LintReport:
    """Lint one .sql file of a tree (or folder) on its own: its statements, and whether it was
    edited since it was released when the tree's manifest lists it.

    The other files of the tree are not read: no rule about a .sql file depends on them (the
    history rules look at revisions, settling at revisions' ancestors, and the .sql files'
    statements matter to revisions only), so neither the Python revisions nor alembic are
    loaded. Naming the tree, or a revision file, still checks the whole tree.
    """
    cache = Cache(root, settings.cache)
    sources = _read(root, [path])
    files = _analyse(cache, sources, [])
    relpath = sources[0].relpath
    released = manifest.read(root / settings.manifest)
    if released is not None:
        # The tree rules on a tree of this one file, with the manifest's line about it.
        mine = [entry for entry in released if entry.key == relpath]
        files.findings.extend(_tree_findings(TreeFacts(files.facts, settings.manifest, mine)))
    cache.save(set(cache.entries) | {relpath})  # the tree's other entries are kept
    return _report(root, settings, path, files, 1)


def _analyse(cache: Cache, sql_sources: list[_Source], py_sources: list[_Source]) -> _Files:
    """Every file's entry, from the cache or analysed (in parallel when there are many)."""
    files = _Files()
    # A revision's result depends on the .sql files (it skips statements they already hold).
    sql_digest = hashlib.blake2b(
        "".join(s.digest for s in sql_sources).encode(), digest_size=8
    ).hexdigest()
    misses = [s for s in py_sources if cache.get(s.relpath, s.digest + sql_digest) is None]
    sql_misses = [s for s in sql_sources if cache.get(s.relpath, s.digest) is None]
    sql_keys: set[str] = set()
    if misses or sql_misses:
        # Every .sql file is read again: the revisions to analyse need all their statements.
        preload: tuple[str, ...] = ("manage_db.lint.analysis",)
        analysed = _in_parallel(_analyze_sql_chunk, sql_sources, (bool(misses),), preload)
        for source in sql_sources:
            entry, keys = analysed[source.relpath]
            sql_keys.update(keys)
            if cache.get(source.relpath, source.digest) is None:
                cache.put(source.relpath, source.digest, entry)
    for source in sql_sources:
        files.keep(source.relpath, cache.get(source.relpath, source.digest))
    if misses:
        digests = {s.relpath: s.digest for s in misses}
        preload = ("manage_db.lint.analysis", "manage_db.runtime.render")
        analysed = _in_parallel(_analyze_chunk, misses, (sql_keys,), preload)
        for relpath, entry in analysed.items():
            cache.put(relpath, digests[relpath] + sql_digest, entry)
    for source in py_sources:
        files.keep(source.relpath, cache.get(source.relpath, source.digest + sql_digest))
    return files


def _tree_findings(tree: TreeFacts) -> Iterator[Finding]:
    from manage_db.lint import rules

    for rule in rules.tree_rules():
        for path, line, col, message in rule.check(tree):
            yield Finding(path, line, col, rule.code, rule.severity, message, rule.hint, (line,))


def _report(
    root: Path, settings: LintSettings, only: Path | None, files: _Files, count: int
) -> LintReport:
    """The findings left after the policy, sorted, with what was counted (``only``: one file)."""
    findings = files.findings
    wanted = only.relative_to(root).as_posix() if only is not None else ""
    if only is not None:
        from manage_db.lint import rules

        tree_codes = rules.codes_of(TreeRule)
        findings = [f for f in findings if f.path == wanted or f.code in tree_codes]
    report = LintReport(files=count if only is None else 1)
    counted = [
        f for f in files.facts if f.kind == "revision" and (only is None or f.path == wanted)
    ]
    report.revisions = len(counted)
    report.revisions_seen = sum(1 for f in counted if f.ops_seen)
    display = _Display(root)
    for finding in apply_policy(findings, files.suppressions, settings):
        finding.path = display(finding.path)
        report.findings.append(finding)
    report.findings.sort(key=lambda f: f.sort_key)
    return report


def _fill_checksums(facts: list[RevisionFacts], sources: dict[str, _Source], cache: Cache) -> None:
    """Checksums of revisions, computed only for trees with a release manifest, then cached."""
    from manage_db.checksums import python_checksum

    for item in facts:
        if item.kind == "revision" and not item.checksum:
            source = sources[item.path]
            item.checksum = python_checksum(source.data.decode("utf-8", "replace"))
            entry = cache.entries.get(item.path)
            if entry is not None:
                entry["facts"]["checksum"] = item.checksum
                cache.dirty = True


def _entry(result) -> dict:
    return {
        "facts": result.facts.to_dict(),
        "findings": [f.to_cache() for f in result.findings],
        "suppressions": result.suppressions.to_dict(),
    }


def _in_parallel(
    function: Callable[..., dict[str, Any]],
    sources: list[_Source],
    extra: tuple[Any, ...],
    preload: tuple[str, ...],
) -> dict[str, Any]:
    """``function(sources, *extra)``, its share done here and the others in forked processes.

    ``function`` returns plain data (dicts, lists, strings, numbers), sent back with marshal.
    """
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 4)
    if workers < 2 or len(sources) < PARALLEL_MIN_FILES:
        return function(sources, *extra)
    import importlib

    for module in preload:  # loaded once here, so that every worker starts with them
        importlib.import_module(module)
    shares = [sources[i::workers] for i in range(workers)]
    # What is loaded so far lives as long as the run: no process scans it again for garbage.
    gc.freeze()
    try:
        children = [_fork(function, share, extra) for share in shares[1:]]
        with _no_garbage_collection():
            result = function(shares[0], *extra)
        for child, share in zip(children, shares[1:], strict=True):
            result.update(_join(child, function, share, extra))
    finally:
        gc.unfreeze()
    return result


@contextlib.contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """The cyclic collector off for a block that allocates much and frees little."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fork(
    function: Callable[..., dict[str, Any]], sources: list[_Source], extra: tuple[Any, ...]
) -> tuple[int, int]:
    """(pid, read end of its pipe) of a child writing ``function(sources, *extra)``."""
    import marshal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        status = 1
        try:
            gc.disable()  # a short-lived process: what it allocates goes when it exits
            data = marshal.dumps(function(sources, *extra))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _join(
    child: tuple[int, int],
    function: Callable[..., dict[str, Any]],
    sources: list[_Source],
    extra: tuple[Any, ...],
) -> dict[str, Any]:
    """A child's result; when it failed, its share done here (so that its error shows)."""
    import marshal

    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return function(sources, *extra)
    result: dict[str, Any] = marshal.loads(data)
    return result


def _analyze_sql_chunk(
    sources: list[_Source], with_keys: bool = True
) -> dict[str, tuple[dict, list[str]]]:
    """(cache entry, statement keys) of each .sql file; no keys without ``with_keys``."""
    from manage_db.lint.analysis import analyze_sql_file

    analysed = {}
    for source in sources:
        text = source.data.decode("utf-8", "replace")
        result, keys = analyze_sql_file(source.relpath, text, with_keys)
        analysed[source.relpath] = (_entry(result), sorted(keys))
    return analysed


def _analyze_chunk(sources: list[_Source], sql_keys: set[str]) -> dict[str, dict]:
    """Cache entries of Python revisions: parsed, rendered offline together, then checked."""
    from manage_db.lint.analysis import FileResult, analyze_revision, read_python
    from manage_db.runtime.render import render_upgrades

    parsed = {}
    results = {}
    for source in sources:
        item = read_python(str(source.path), source.data.decode("utf-8", "replace"))
        if isinstance(item, FileResult):
            results[source.relpath] = item
        else:
            parsed[source.relpath] = item
    renderings = render_upgrades([(r.path, r.tree) for r in parsed.values() if r.upgrade])
    for relpath, revision in parsed.items():
        results[relpath] = analyze_revision(revision, renderings.get(revision.path), sql_keys)
    entries = {}
    for relpath, result in results.items():
        result.facts.path = relpath
        for finding in result.findings:
            finding.path = relpath
        entries[relpath] = _entry(result)
    return entries


class _Display:
    """Paths as the user named them: relative to the working directory when possible."""

    def __init__(self, root: Path):
        self._root = root
        self._folders: dict[str, str] = {}

    def __call__(self, relpath: str) -> str:
        folder, _, name = relpath.rpartition("/")
        shown = self._folders.get(folder)
        if shown is None:
            shown = self._folders[folder] = _display(self._root / folder)
        return name if shown == "." else os.path.join(shown, name)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def lint_paths(paths: list[Path], settings: LintSettings) -> LintReport:
    """Lint each tree (or file) named; the findings of all, in one report.

    A revision file is linted with its tree (the history rules need every revision); a .sql
    file on its own (:func:`lint_sql_file`).
    """
    report = LintReport()
    for path in paths:
        root, only = find_tree(path)
        if only is not None and only.suffix == ".sql":
            part = lint_sql_file(root, only, settings)
        else:
            part = lint_tree(root, settings, only)
        report.findings.extend(part.findings)
        report.files += part.files
        report.revisions += part.revisions
        report.revisions_seen += part.revisions_seen
    return report


def record_release(path: Path, settings: LintSettings) -> list[ReleasedEntry]:
    """Add every revision and SQL file of the tree not yet in its manifest."""
    root, _ = find_tree(path)
    revision_paths, sql_paths = _discover(root)
    from manage_db.checksums import python_checksum, sql_text_checksum
    from manage_db.lint.analysis import FileResult, read_python

    facts: list[RevisionFacts] = []
    for path in revision_paths:
        source = path.read_text(encoding="utf-8")
        item = read_python(str(path), source)
        if isinstance(item, FileResult):
            raise TreeError(f"{_display(path)}: does not parse; fix it before recording a release")
        if item.revision is None:
            raise TreeError(f"{_display(path)}: no revision id; fix it before recording a release")
        relpath = path.relative_to(root).as_posix()
        facts.append(RevisionFacts(relpath, "revision", python_checksum(source), item.revision))
    for path in sql_paths:
        facts.append(
            RevisionFacts(
                path.relative_to(root).as_posix(),
                "sql",
                sql_text_checksum(path.read_text(encoding="utf-8")),
            )
        )
    return manifest.record(root / settings.manifest, facts)
