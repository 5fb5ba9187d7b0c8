"""squash: pg_dump's ``= ANY (ARRAY[…])`` check text given back its ``IN`` list (pglast)."""

from __future__ import annotations

from manage_db.sql.in_lists import rewrite

DUMPED = (
    "ALTER TABLE public.chatd_user\n    ADD CONSTRAINT chatd_user_state_check "
    "CHECK (((state)::text = ANY "
    "((ARRAY['available'::character varying, 'away'::character varying])::text[])));"
)


def test_a_varchar_in_list_is_written_back_as_in():
    assert rewrite(DUMPED, "AlterTableStmt") == (
        "ALTER TABLE public.chatd_user ADD CONSTRAINT chatd_user_state_check "
        "CHECK (state IN ('available', 'away'));"
    )


def test_other_any_expressions_and_statements_stay_as_written():
    plain = "CREATE TABLE t (id integer, CONSTRAINT c CHECK ((id = ANY (ARRAY[1, 2]))));"
    assert "ANY" in rewrite(plain, "CreateStmt")
    assert rewrite("CREATE INDEX i ON t (id);", "IndexStmt") == "CREATE INDEX i ON t (id);"
