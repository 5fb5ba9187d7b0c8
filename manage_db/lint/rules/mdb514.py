"""drop-database: DROP DATABASE in a migration.

Why: a migration runs connected to its component's database as its owning role; dropping a
database from there destroys another component's data (or fails), and no downgrade brings it back.
Reported as an error: it is never a schema change.
Instead: remove a component's database by hand, or with the platform's uninstall tooling.
"""

from collections.abc import Iterator

from manage_db.lint.model import ERROR, Statement, StatementRule, UnitState


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    yield f"DROP DATABASE {statement.node.dbname} in a migration"


RULE = StatementRule(
    code="MDB514",
    name="drop-database",
    severity=ERROR,
    hint="drop databases outside migrations",
    phases=("upgrade", "downgrade", "sql"),
    node_types=frozenset({"DropdbStmt"}),
    check=check,
)
