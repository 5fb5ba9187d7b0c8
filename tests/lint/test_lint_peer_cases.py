"""Peers' cases: where squawk and we were compared (issue 23), the verdict we give and why.

Written by us, one case per behaviour, each run as an alembic revision (one transaction) on a
table that exists before it (``users``) unless the case creates one. ``bench/peer_squawk.py``
runs squawk's own cases; these keep our verdicts from drifting.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.lint.conftest import TIMEOUT


class PeerCase(NamedTuple):
    upgrade: str
    codes: list[str]
    why: str


def _sql(*statements: str, timeout: bool = True) -> str:
    lines = [f"op.execute({statement!r})" for statement in statements]
    return (TIMEOUT if timeout else "") + "\n".join(lines)


_AUTOCOMMIT = "with op.get_context().autocommit_block():\n    "

CASES = {
    # Where squawk was right and we now agree
    "set-not-null-after-check-validated-in-another-transaction": PeerCase(
        _sql("ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID")
        + f"\n{_AUTOCOMMIT}op.execute('ALTER TABLE users VALIDATE CONSTRAINT name_nn')\n"
        + "op.alter_column('users', 'name', nullable=False)",
        [],
        "PostgreSQL 12+ proves NOT NULL from the validated CHECK: no scan",
    ),
    "set-not-null-after-validating-a-check-an-earlier-revision-added": PeerCase(
        _sql(
            "ALTER TABLE users VALIDATE CONSTRAINT name_nn",
            "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
            "ALTER TABLE users DROP CONSTRAINT name_nn",
        ),
        [],
        "the scan happened under VALIDATE's SHARE UPDATE EXCLUSIVE lock",
    ),
    "set-not-null-with-no-validated-check": PeerCase(
        _sql(
            "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID",
            "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        ),
        ["MDB505"],
        "a NOT VALID check proves nothing: SET NOT NULL scans under ACCESS EXCLUSIVE",
    ),
    "not-valid-then-validate-in-one-revision": PeerCase(
        _sql(
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (t) REFERENCES tenant (id) NOT VALID",
            "ALTER TABLE users VALIDATE CONSTRAINT fk",
        ),
        ["MDB506"],
        "one transaction: the SHARE ROW EXCLUSIVE lock ADD took is held through the scan",
    ),
    "default-calling-an-unknown-function": PeerCase(
        _sql("ALTER TABLE users ADD COLUMN code uuid DEFAULT uuid()"),
        ["MDB503"],
        "a function not known IMMUTABLE or STABLE is VOLATILE: every row is rewritten",
    ),
    "default-calling-a-stable-built-in": PeerCase(
        _sql("ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now() - interval '1 day'"),
        [],
        "now() is STABLE: computed once, stored as the fast default",
    ),
    "add-column-references": PeerCase(
        _sql("ALTER TABLE users ADD COLUMN tenant_id int REFERENCES tenant (id)"),
        ["MDB506"],
        "a column constraint cannot be NOT VALID: the foreign key is validated at once",
    ),
    "add-unique-constraint": PeerCase(
        _sql("ALTER TABLE users ADD CONSTRAINT users_mail_key UNIQUE (mail)"),
        ["MDB511"],
        "the index is built under the ALTER's ACCESS EXCLUSIVE lock",
    ),
    "add-primary-key": PeerCase(
        _sql("ALTER TABLE users ADD PRIMARY KEY (id)"),
        ["MDB511"],
        "the index is built under the ALTER's ACCESS EXCLUSIVE lock",
    ),
    "add-unique-using-an-index-built-concurrently": PeerCase(
        _sql("ALTER TABLE users ADD CONSTRAINT users_mail_key UNIQUE USING INDEX users_mail_ix"),
        [],
        "the index exists: attaching it is instant",
    ),
    "drop-index": PeerCase(
        _sql("DROP INDEX users_mail_ix"),
        ["MDB512"],
        "a plain DROP INDEX takes ACCESS EXCLUSIVE on the table",
    ),
    "reindex-table": PeerCase(
        _sql("REINDEX TABLE users"),
        ["MDB513"],
        "a plain REINDEX blocks writes until every index is rebuilt",
    ),
    "drop-database": PeerCase(
        _sql("DROP DATABASE chatd"),
        ["MDB514"],
        "never a schema change: another component's data goes",
    ),
    "lock-table-without-lock-timeout": PeerCase(
        _sql("LOCK TABLE users", timeout=False),
        ["MDB510"],
        "the ACCESS EXCLUSIVE request queues behind any query, and all later ones behind it",
    ),
    "set-logged": PeerCase(
        _sql("ALTER TABLE users SET LOGGED"),
        ["MDB515"],
        "SET LOGGED rewrites the table (and writes it to the WAL) under ACCESS EXCLUSIVE",
    ),
    # Where we differ from squawk, and are right
    "lone-create-index-concurrently": PeerCase(
        _sql("CREATE INDEX CONCURRENTLY users_mail_ix ON users (mail)"),
        ["MDB509"],
        "alembic runs the revision in a transaction, where CONCURRENTLY fails",
    ),
    "create-type-without-lock-timeout": PeerCase(
        _sql("CREATE TYPE mood AS ENUM ('sad', 'ok')", timeout=False),
        [],
        "a new type locks no existing table",
    ),
    "comment-on-without-lock-timeout": PeerCase(
        _sql("COMMENT ON COLUMN users.name IS 'shown name'", timeout=False),
        [],
        "COMMENT ON's SHARE UPDATE EXCLUSIVE lock queues no reads or writes",
    ),
    "new-table-altered-and-indexed-without-lock-timeout": PeerCase(
        _sql(
            "CREATE TABLE fresh (id serial, code text)",
            "ALTER TABLE fresh ADD CONSTRAINT fresh_code_key UNIQUE (code)",
            "CREATE INDEX fresh_code_ix ON fresh (code)",
            timeout=False,
        ),
        [],
        "a table the revision created is empty and unused yet",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_peer_case_verdict(tree, name):
    case = CASES[name]
    tree.revision("a1", None, upgrade=case.upgrade)
    assert tree.codes() == case.codes, case.why


def test_peer_case_set_not_null_after_an_earlier_revision_validated_its_check(tree):
    """PostgreSQL 12+ proves NOT NULL from a CHECK an ancestor revision validated: no scan."""
    add = "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID"
    validate = f"{_AUTOCOMMIT}op.execute('ALTER TABLE users VALIDATE CONSTRAINT name_nn')"
    tree.revision("a1", None, upgrade=_sql(add) + "\n" + validate)
    tree.revision("b2", "a1", upgrade=_sql("ALTER TABLE users ALTER COLUMN name SET NOT NULL"))
    assert tree.codes() == []
