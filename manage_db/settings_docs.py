"""The documents written from the declaration of the settings (``config.KEYS``): the shipped
etc/wazo-manage-db/config.yml, the README's configuration table and the man page's options.

``python scripts/gen_settings_docs.py`` writes them; tests/unit/test_settings_docs.py fails when
a committed one differs from what this module writes.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from manage_db.config import COMPONENT_KEYS, KEYS, Key, global_options, per_component_keys

# Where the generated parts go in the README and the man page.
README_BEGIN = "<!-- BEGIN settings table: written by scripts/gen_settings_docs.py -->"
README_END = "<!-- END settings table -->"
MAN_BEGIN = '.\\" BEGIN options: written by scripts/gen_settings_docs.py'
MAN_END = '.\\" END options'

# The keys the shipped config.yml sets (to their defaults), so that an operator sees them and the
# user to run as is required to exist; every other key is written commented out.
SHIPPED = (
    "log_file",
    "log_level",
    "user",
    "db_uri",
    "socket_dir",
    "server_wait",
    "lock_wait",
    "lock_timeout",
    "statement_timeout",
    "lock_retries",
    "server_timeout",
    "skip_database_setup",
    "plugins",
    "components",
)
# The docs page of a section or of the per-component limits.
SEE = {
    "lint": "docs/lint.md",
    "verify": "docs/verify.md",
    "plan": "docs/plan.md",
    "bus": "docs/plan.md",
    "per_component": "docs/faults.md",
    "replica_wait": "docs/ha.md",
    "replica_min": "docs/ha.md",
}

CONFIG_HEADER = """\
# wazo-manage-db configuration: every setting, its default and its meaning.
# (Written by scripts/gen_settings_docs.py from manage_db/config.py; edit the declaration there.)
# Put local changes in /etc/wazo-manage-db/conf.d/*.yml rather than here: files there are read in
# alphabetical order and the first one that sets a key wins; names starting with a dot or not
# ending in .yml are ignored. The command line and ALEMBIC_DB_URI override both.
"""


def _yaml(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return str(value)


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, 99 - len(indent), initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# "
    )


def _config_entry(name: str, key: Key) -> list[str]:
    """A top-level key: its doc, then the key set to its default (commented out unless
    shipped)."""
    flag = f" ({', '.join(key.spellings)})" if key.spellings else ""
    default = f" (default: {key.shown})" if key.shown else ""
    value = "" if key.shown else _yaml(key.default)
    line = f"{name}: {value}".rstrip()
    commented = name not in SHIPPED or key.default is None or key.shown
    return ["", *_comment(key.summary + flag + default), f"# {line}" if commented else line]


def _section_entry(name: str, key: Key) -> list[str]:
    """A key of a section (``lint.ignore``), commented out, its doc beside it."""
    return _aside(f"#   {name.rpartition('.')[2]}: {_yaml(key.default)}".rstrip(), key.summary)


def _aside(left: str, doc: str, column: int = 36) -> list[str]:
    """``left`` then ``# doc`` from ``column`` on, wrapped under itself within 99 characters."""
    start = max(column, len(left) + 1)
    lines = textwrap.wrap(doc, 97 - start) or [""]
    margin = left[: left.index("#") + 1] if "#" in left else ""
    return [f"{left:<{start}}# {lines[0]}", *(f"{margin:<{start}}# {line}" for line in lines[1:])]


def _components_block(key: Key) -> Iterator[str]:
    yield from _comment(f"{key.summary} (default: {key.shown})")
    yield "# The platform tree asterisk is built in; other daemons' trees come here or by plugins."
    yield "components:"
    yield "  asterisk:"
    yield "    # script_location: /usr/share/wazo-manage-db/alembic   (default: the installed tree)"
    for leaf, value in key.default["asterisk"].items():
        if leaf != "script_location":
            yield f"    {leaf}: {_yaml(value)}"
    yield from _aside("  # NAME:", "what a component's entry (or a plugin's mapping) may hold")
    entries = {**COMPONENT_KEYS, **{n: KEYS[n] for n in per_component_keys()}}
    for leaf, entry in entries.items():
        yield from _aside(f"  #   {leaf}:", entry.doc)


def config_yml() -> str:
    """The shipped etc/wazo-manage-db/config.yml."""
    lines = CONFIG_HEADER.splitlines()
    section = ""
    for name, key in KEYS.items():
        head = name.rpartition(".")[0]
        if not key.in_file:
            continue
        if name == "components":
            lines.extend(["", *_components_block(key)])
        elif head:
            if head != section:
                lines.extend(["", f"# {head}:"])
            lines.extend(_section_entry(name, key))
        else:
            lines.extend(_config_entry(name, key))
        section = head
    return "\n".join(lines) + "\n"


def _shown_default(key: Key) -> str:
    if key.shown:
        return key.shown
    if key.default is None:
        return "none"
    if isinstance(key.default, (list, tuple)) and not key.default:
        return "`[]`"
    return f"`{_yaml(key.default)}`"


def _see(name: str, key: Key) -> str:
    page = SEE.get(name.partition(".")[0] if "." in name else "")
    if key.per_component:
        page = SEE["per_component"]
    page = SEE.get(name, page)
    return f"; see [{Path(page).name}]({page})" if page else ""


def readme_table() -> str:
    """The README's configuration table: one row per key, then what a component may hold."""
    rows = ["| key | default | option | meaning |", "|---|---|---|---|"]
    for name, key in KEYS.items():
        flag = ", ".join(f"`{s}`" for s in key.spellings)
        meaning = key.summary.replace("|", "\\|") + _see(name, key)
        rows.append(f"| `{name}` | {_shown_default(key)} | {flag} | {meaning} |")
    for leaf, key in COMPONENT_KEYS.items():
        rows.append(f"| `components.NAME.{leaf}` | {_shown_default(key)} | | {key.doc} |")
    limits = ", ".join(f"`{n}`" for n in per_component_keys())
    rows.append(
        f"| `components.NAME.` {limits} | the global value | | the component's own "
        "(a plugin's mapping may set them too; the config's entry wins over it) |"
    )
    return "\n".join(rows) + "\n"


def _roff(text: str) -> str:
    return text.replace("\\", "\\\\").replace("-", "\\-")


def man_options() -> str:
    """The man page's OPTIONS section (the global options)."""
    lines = [".SH OPTIONS"]
    for key in global_options().values():
        spellings = ' ", " '.join(_roff(s) for s in key.spellings)
        value = f' " " \\fI{key.metavar}\\fR' if key.metavar else ""
        default = "" if key.kind is bool or key.default is None else _yaml(key.default)
        if key.shown or "://" in default:
            default = key.shown or ""
        sentence = key.summary[:1].upper() + key.summary[1:]
        lines += [".TP", f".BR {spellings}{value}", _roff(sentence)]
        if default:
            lines[-1] += f" (default \\fI{_roff(default)}\\fR)."
        else:
            lines[-1] += "."
    lines += [".TP", '.BR \\-h ", " \\-\\-help', "Print the options and commands, and exit."]
    lines += [".TP", ".B \\-\\-version", "Print the version and exit."]
    return "\n".join(lines) + "\n"


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    """``text`` with what lies between the lines ``begin`` and ``end`` replaced by ``body``."""
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {begin!r} … {end!r} in the file")
    return pattern.sub(lambda _: f"{begin}\n{body}{end}", text)


def between(text: str, begin: str, end: str) -> str:
    """What lies between the lines ``begin`` and ``end`` ('' when they are missing)."""
    match = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def documents(repo: Path) -> dict[Path, str]:
    """Each generated document's path and the whole text it should have."""
    readme = repo / "README.md"
    man = repo / "debian" / "wazo-manage-db.1"
    return {
        repo / "etc" / "wazo-manage-db" / "config.yml": config_yml(),
        readme: replace_between(readme.read_text(), README_BEGIN, README_END, readme_table()),
        man: replace_between(man.read_text(), MAN_BEGIN, MAN_END, man_options()),
    }
