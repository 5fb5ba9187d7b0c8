"""forbidden-statement: GRANT, REVOKE, ALTER … OWNER TO, SET/RESET ROLE, SET SESSION
AUTHORIZATION, ALTER DEFAULT PRIVILEGES, CREATE/ALTER/DROP ROLE or USER, REASSIGN OWNED,
CREATE SCHEMA … AUTHORIZATION: fights with ownership.

Why: migrations run connected as the owning role (``asterisk`` for the platform), so what they
create is already owned by it; explicit privileges and role changes are never needed, hide
mistakes and break when the owner is renamed.
Instead: delete the statement; roles and ownership belong to ``wazo-manage-db init``.
"""

from collections.abc import Iterator
from typing import Any

from manage_db.lint.model import ERROR, Statement, StatementRule, UnitState
from manage_db.sql.nodes import enum_name, node_name

_ROLE_STATEMENTS = {
    "CreateRoleStmt": "CREATE ROLE/USER",
    "AlterRoleStmt": "ALTER ROLE/USER",
    "AlterRoleSetStmt": "ALTER ROLE/USER ... SET",
    "DropRoleStmt": "DROP ROLE/USER",
    "AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES",
    "ReassignOwnedStmt": "REASSIGN OWNED",
    "AlterOwnerStmt": "ALTER ... OWNER TO",
}
_SESSION_SETTINGS = {"role": "ROLE", "session_authorization": "SESSION AUTHORIZATION"}


def check(statement: Statement, state: UnitState) -> Iterator[str]:
    yield from _forbidden(statement.node)


def _forbidden(node: Any) -> Iterator[str]:
    kind = node_name(node)
    if kind == "GrantStmt":
        yield f"{'GRANT' if node.is_grant else 'REVOKE'} in a migration"
    elif kind == "GrantRoleStmt":
        yield f"{'GRANT' if node.is_grant else 'REVOKE'} of a role in a migration"
    elif kind in _ROLE_STATEMENTS:
        yield f"{_ROLE_STATEMENTS[kind]} in a migration"
    elif kind == "AlterTableStmt":
        if any(enum_name(c.subtype) == "AT_ChangeOwner" for c in node.cmds or ()):
            yield "ALTER ... OWNER TO in a migration"
    elif kind == "VariableSetStmt" and node.name in _SESSION_SETTINGS:
        verb = "RESET" if enum_name(node.kind) in ("VAR_RESET", "VAR_RESET_ALL") else "SET"
        yield f"{verb} {_SESSION_SETTINGS[node.name]} in a migration"
    elif kind == "CreateSchemaStmt" and node.authrole is not None:
        yield "CREATE SCHEMA ... AUTHORIZATION in a migration"


RULE = StatementRule(
    code="MDB101",
    name="forbidden-statement",
    severity=ERROR,
    hint="remove it: roles and privileges are managed by wazo-manage-db init, not migrations",
    phases=("upgrade", "downgrade", "module", "sql"),
    node_types=frozenset(
        {
            "GrantStmt",
            "GrantRoleStmt",
            "AlterTableStmt",
            "VariableSetStmt",
            "CreateSchemaStmt",
            *_ROLE_STATEMENTS,
        }
    ),
    check=check,
)
