"""set-logged: ALTER TABLE ... SET LOGGED or SET UNLOGGED on an existing table.

Why: both rewrite the whole table (SET LOGGED also writes all of it to the WAL) under an ACCESS
EXCLUSIVE lock; an UNLOGGED table is also emptied by a crash and not replicated to standbys.
Instead: create the table with the persistence it needs, or copy it into a new table in batches
and switch the code to it.
"""

from collections.abc import Iterator

from manage_db.lint.model import WARNING, Statement, StatementRule, UnitState
from manage_db.sql.locks import ACCESS_EXCLUSIVE, alter_table_commands, relation_name
from manage_db.sql.nodes import enum_name

_PERSISTENCE = {"AT_SetLogged": "SET LOGGED", "AT_SetUnLogged": "SET UNLOGGED"}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    table = relation_name(statement.node.relation)
    if table in state.fresh_tables:
        return
    for command in alter_table_commands(statement.node):
        what = _PERSISTENCE.get(enum_name(command.subtype))
        if what:
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
