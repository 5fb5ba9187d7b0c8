"""Ownership audit of a live database: objects not owned by the component's owner role, and
explicit ACL entries (a GRANT that slipped in).

Reads the same snapshot verify compares (owners and ACLs are in it); objects that belong to an
extension are not in the snapshot, so ``uuid-ossp`` functions owned by the superuser are fine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manage_db.dao.snapshot import OWNED_KINDS, Snapshot, take_snapshot
from manage_db.models import Component

# PostgreSQL 15 creates schema public owned by this pseudo-role, which stands for the
# database owner, with these privileges: not a finding.
DATABASE_OWNER = "pg_database_owner"
PUBLIC_SCHEMA_DEFAULT_ACL = "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}"

WRONG_OWNER = "owner"
EXPLICIT_ACL = "acl"


@dataclass(frozen=True)
class AuditFinding:
    """One object owned by another role, or one explicit privilege on it."""

    component: str
    object: str  # "table public.users", "column public.users.email"
    problem: str  # WRONG_OWNER, EXPLICIT_ACL or OUTSIDE_SCHEMA
    owner: str
    acl: str | None
    detail: str

    def __str__(self) -> str:
        acl = self.acl or "-"
        return f"{self.component}: {self.object}: {self.detail} (owner {self.owner}, acl {acl})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "component": self.component,
            "object": self.object,
            "problem": self.problem,
            "owner": self.owner,
            "acl": self.acl,
            "detail": self.detail,
        }


OUTSIDE_SCHEMA = "outside schema"


def audit_components(
    components: Sequence[Component], owner_uri: Callable[[Component], str]
) -> list[AuditFinding]:
    """Audit each component's database, connected as its owner; findings in component order."""
    from manage_db.dao.connection import connect

    findings: list[AuditFinding] = []
    for component in components:
        connection = connect(owner_uri(component))
        try:
            findings.extend(audit_component(component, connection))
        finally:
            connection.close()
    return findings


def audit_component(component: Component, connection: Any) -> list[AuditFinding]:
    """The component's schema (or its whole database) audited; with a schema, also what its
    owner made outside it (a migration that escaped its ``search_path``)."""
    if not component.schema:
        return audit_database(component.name, component.owner, connection)
    findings = audit_database(component.name, component.owner, connection, [component.schema])
    everything = take_snapshot(connection)
    for kind, name in everything.keys():
        if kind not in OWNED_KINDS or _in_schema(kind, name, component.schema):
            continue
        props = everything.properties[(kind, name)]
        if str(props.get("owner")) == component.owner:
            findings.append(
                AuditFinding(
                    component.name,
                    f"{kind} {name}",
                    OUTSIDE_SCHEMA,
                    component.owner,
                    props.get("acl"),
                    f"outside schema {component.schema}",
                )
            )
    return findings


def _in_schema(kind: str, name: str, schema: str) -> bool:
    return name == schema if kind == "schema" else name.startswith(schema + ".")


def audit_database(
    component: str, owner: str, connection: Any, schemas: Sequence[str] | None = None
) -> list[AuditFinding]:
    """Audit the database behind ``connection`` for ``owner`` (schemas: None = every one)."""
    return audit_snapshot(component, owner, take_snapshot(connection, schemas=schemas))


def audit_snapshot(component: str, owner: str, snapshot: Snapshot) -> list[AuditFinding]:
    """The findings of one snapshot, in object order."""
    findings: list[AuditFinding] = []
    for kind, name in snapshot.keys():
        if kind not in OWNED_KINDS:
            continue
        props = snapshot.properties[(kind, name)]
        label = f"{kind} {name}"
        object_owner = str(props.get("owner"))
        acl = props.get("acl")
        public_schema = kind == "schema" and name == "public"
        if object_owner != owner and not (public_schema and object_owner == DATABASE_OWNER):
            findings.append(
                AuditFinding(
                    component,
                    label,
                    WRONG_OWNER,
                    object_owner,
                    acl,
                    f"owned by {object_owner}, not {owner}",
                )
            )
        if acl and not (public_schema and acl == PUBLIC_SCHEMA_DEFAULT_ACL):
            findings.extend(_acl_findings(component, label, object_owner, acl))
        for column, column_props in _columns(props).items():
            column_acl = column_props.get("acl")
            if column_acl:
                findings.extend(
                    _acl_findings(component, f"column {name}.{column}", object_owner, column_acl)
                )
    return findings


def _columns(props: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    return props.get("columns") or {}


def _acl_findings(component: str, label: str, owner: str, acl: str) -> list[AuditFinding]:
    """One finding per ACL entry granted to someone other than the owner."""
    findings = []
    for grantee, privileges, grantor in parse_acl(acl):
        if grantee in (owner, DATABASE_OWNER):
            continue
        findings.append(
            AuditFinding(
                component,
                label,
                EXPLICIT_ACL,
                owner,
                acl,
                f"{privileges} granted to {grantee or 'PUBLIC'} by {grantor}",
            )
        )
    return findings


def parse_acl(acl: str) -> list[tuple[str, str, str]]:
    """``{a=rw/b,=r/b}`` -> [("a", "rw", "b"), ("", "r", "b")] (empty grantee: PUBLIC)."""
    entries = []
    for item in _split_acl(acl.strip("{}")):
        grantee, _, rest = item.rpartition("=")
        privileges, _, grantor = rest.partition("/")
        entries.append((_unquote(grantee), privileges, _unquote(grantor)))
    return entries


def _split_acl(body: str) -> list[str]:
    """Split on commas outside double quotes (role names may contain commas when quoted)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for char in body:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        items.append("".join(current))
    return items


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name
