"""The one migration runtime: every way wazo-manage-db drives alembic goes through this package.

- ``adapter``: ``MigrationTree``, a component's tree loaded once per run; upgrade, downgrade,
  stamp, offline SQL and new revisions through alembic's public path (``EnvironmentContext`` +
  ``script.run_env()``), one revision per transaction whatever the env.py asks;
- ``listeners``: the ``StepListener`` protocol called inside each revision's transaction;
- ``session``: the SQLAlchemy URL (pinned to psycopg2, several hosts spelled for 1.4 and 2.x)
  alembic gets for a libpq URI; the session's settings are built in ``dao.session``;
- ``stepping``: verify's single steps, each one alembic command in an env.py session per
  database (``MigrationTree.session``);
- ``batching`` and ``shared_message``: a step's statements in as few round trips as their
  transaction meaning allows;
- ``compat``: the only private alembic API: the step lists the adapter hands alembic, one
  revision's step, a revision imported anew;
- ``render``: lint's offline rendering of a revision's ``upgrade()`` to SQL;
- ``platform_env``: what the platform tree's ``env.py`` runs.

Only modules here import alembic or SQLAlchemy (tests/unit/test_architecture.py checks it).
"""

from __future__ import annotations

import sys


def _mako_without_pygments() -> None:
    """Load mako, which alembic imports for its templates, without pygments.

    When pygments is installed, importing ``mako.exceptions`` imports it to colour the source in
    mako's HTML error pages: a tenth of a small upgrade's CPU. alembic renders no such page (it
    renders revision templates, and their errors as text), so mako's own fallback, plain escaped
    text, is taken; pygments stays importable for anyone else in the process.
    """
    plugin = "mako.ext.pygmentplugin"
    if "mako.exceptions" in sys.modules or plugin in sys.modules:
        return
    sys.modules[plugin] = None  # type: ignore[assignment]  # its import raises ImportError
    try:
        import mako.exceptions  # noqa: F401
    except ImportError:
        pass  # no mako: alembic says so when it is imported
    finally:
        if plugin in sys.modules and sys.modules[plugin] is None:
            del sys.modules[plugin]


_mako_without_pygments()
