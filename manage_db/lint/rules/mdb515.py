"""set-logged: ALTER TABLE ... SET LOGGED or SET UNLOGGED on an existing table.

Why: both rewrite the whole table (SET LOGGED also writes all of it to the WAL) under an ACCESS
EXCLUSIVE lock; an UNLOGGED table is also emptied by a crash and not replicated to standbys.
Instead: create the table with the persistence it needs, or copy it into a new table in batches
and switch the code to it.
"""

from collections.abc import Iterator

from manage_db.lint.alter_table import existing_table_commands
from manage_db.lint.locks import ACCESS_EXCLUSIVE
from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    for subtype, what in (("AT_SetLogged", "SET LOGGED"), ("AT_SetUnLogged", "SET UNLOGGED")):
        for table, _ in existing_table_commands(statement, state, subtype):
            yield f"{what} rewrites existing table {table} under an {ACCESS_EXCLUSIVE}"


RULE = StatementRule(
    code="MDB515",
    name="set-logged",
    severity=WARNING,
    hint="create the table with the persistence it needs, or copy it into a new table",
    phases=("upgrade", "sql"),
    node_types=frozenset({"AlterTableStmt"}),
    check=check,
)
