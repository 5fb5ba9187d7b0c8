"""The one migration runtime: every way wazo-manage-db drives alembic goes through this package.

- ``adapter``: ``MigrationTree``, a component's tree loaded once per run; upgrade, downgrade,
  stamp, offline SQL and new revisions through alembic's public path (``EnvironmentContext`` +
  ``script.run_env()``), one revision per transaction whatever the env.py asks;
- ``listeners``: the ``StepListener`` protocol called inside each revision's transaction;
- ``session``: the connection setup (search_path, later the timeouts) carried in the URI;
- ``compat_runtime`` (and ``compat``, verify's): the only private alembic API.

Only modules here import alembic.
"""
