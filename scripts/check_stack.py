"""Check that the interpreter runs the pinned versions of a requirements file.

Debian builds some from pre-release snapshots (pglast 5.0~dev0, alembic 1.8.1 reports
1.8.1.dev0): the release part is what is compared.
"""

from __future__ import annotations

import sys
from importlib.metadata import version


def main(path: str) -> int:
    wrong = []
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        found = version(name)
        if found.split(".dev")[0] != pinned.split(".dev")[0]:
            wrong.append(f"{name}: {found} installed, {pinned} pinned")
        print(f"{name} {found}")
    for problem in wrong:
        print(f"stack mismatch: {problem}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
