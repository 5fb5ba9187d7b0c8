"""``manage-db: noqa: CODE`` comments: on a line, or alone at the top of a file for all of it.

Codes may be given as ``MDB101`` or by name (``forbidden-statement``); a bare ``noqa`` without
codes suppresses nothing, so nothing is ever silenced by accident.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from manage_db.lint.rules import resolve_code

MARKER = "manage-db: noqa"
_DIRECTIVE = re.compile(r"manage-db:\s*noqa:\s*([A-Za-z0-9_,\- \t]+)")


@dataclass
class Suppressions:
    file_codes: set[str] = field(default_factory=set)
    line_codes: dict[int, set[str]] = field(default_factory=dict)

    def suppressed(self, code: str, lines: range | tuple[int, ...]) -> bool:
        if code in self.file_codes:
            return True
        return any(code in self.line_codes.get(line, ()) for line in lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": sorted(self.file_codes),
            "lines": {str(k): sorted(v) for k, v in self.line_codes.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Suppressions:
        lines = {int(k): set(v) for k, v in data.get("lines", {}).items()}
        return cls(set(data.get("file", ())), lines)


def _codes(comment: str) -> set[str]:
    match = _DIRECTIVE.search(comment)
    if not match:
        return set()
    words = re.split(r"[\s,]+", match.group(1).strip())
    return {code for code in (resolve_code(w) for w in words if w) if code}


def python_suppressions(source: str, first_code_line: int) -> Suppressions:
    """Comments of a Python file; ``first_code_line`` ends the file-level header."""
    result = Suppressions()
    if MARKER not in source:
        return result
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return result
    for token in tokens:
        if token.type != tokenize.COMMENT or MARKER not in token.string:
            continue
        line = token.start[0]
        own_line = not token.line[: token.start[1]].strip()
        if own_line and line < first_code_line:
            result.file_codes |= _codes(token.string)
        else:
            result.line_codes.setdefault(line, set()).update(_codes(token.string))
    return result


def sql_suppressions(text: str) -> Suppressions:
    """``-- manage-db: noqa: ...`` comments of a .sql file."""
    result = Suppressions()
    if MARKER not in text:
        return result
    header = True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if header and stripped and not stripped.startswith("--"):
            header = False
        position = line.find("--")
        if position < 0 or MARKER not in line[position:]:
            continue
        codes = _codes(line[position:])
        if header:
            result.file_codes |= codes
        else:
            result.line_codes.setdefault(number, set()).update(codes)
    return result
