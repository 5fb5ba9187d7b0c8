"""Lint of migration trees: forbidden statements, history, released revisions, unsafe DDL.

The ``lint`` and ``release`` commands call :mod:`manage_db.lint.service`; rules live one per
module in :mod:`manage_db.lint.rules`. See docs/lint.md.
"""
