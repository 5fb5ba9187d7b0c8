"""The pytest plugin's throwaway database keeps answering to the names daemon suites used."""

from __future__ import annotations

import pytest

from manage_db.dao.throwaway import ThrowawayDatabase


def test_former_field_names_still_answer_with_a_deprecation_warning():
    database = ThrowawayDatabase("db_1", "postgresql://admin@h/db_1", "postgresql://o@h/db_1", "o")
    with pytest.warns(DeprecationWarning, match=r"admin_dsn is now \.admin_uri"):
        assert database.admin_dsn == database.admin_uri
    with pytest.warns(DeprecationWarning, match=r"owner_dsn is now \.owner_uri"):
        assert database.owner_dsn == database.owner_uri
    with pytest.warns(DeprecationWarning, match=r"database is now \.name"):
        assert database.database == "db_1"
