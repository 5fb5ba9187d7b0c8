#!/usr/bin/env python3
"""Write etc/wazo-manage-db/config.yml, the README's configuration table and the man page's
options from the declaration of the settings (manage_db/config.py's KEYS).

    python scripts/gen_settings_docs.py           # write them
    python scripts/gen_settings_docs.py --check   # exit 1, naming the files, when one differs
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from manage_db.settings_docs import documents  # noqa: E402


def main(argv: list[str]) -> int:
    stale = []
    for path, text in documents(REPO).items():
        if path.read_text() == text:
            continue
        stale.append(path)
        if "--check" not in argv:
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
    if "--check" in argv and stale:
        print("out of date: " + ", ".join(str(p.relative_to(REPO)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
