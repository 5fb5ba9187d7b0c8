"""A log of the schema objects each migration touched, kept by event triggers.

Installed by a superuser in a throwaway database only: a private schema (``LOG_SCHEMA``, left
out of snapshots) with an unlogged table, two event triggers (``ddl_command_end`` records the
objects a command created or altered, ``sql_drop`` the objects it dropped) and a function that
reads and empties the log and answers which snapshot units — relations, types, functions — must
be read again: the objects touched, the parents of dropped sub-objects (a trigger's table), and
whatever depends on them one level down (views on a renamed column, foreign keys of other tables,
functions taking a renamed row type).

The log is written inside the migration's own transaction, so a migration that fails and rolls
back leaves nothing in it.  Commands the log cannot describe object by object (GRANT, REVOKE,
ALTER DEFAULT PRIVILEGES, schemas, extensions, objects of other catalogs) and roles of this
database renamed or dropped (shared objects fire no event trigger) make the answer "read
everything".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg2.extensions import connection as Connection

    from manage_db.dao.snapshot import Unit

LOG_SCHEMA = "manage_db_verify_ddl_log"

# Sub-objects that stand for one table, and the column of their catalog that names it.
_TABLE_OF_PART = (
    ("pg_trigger", "tgrelid"),
    ("pg_rewrite", "ev_class"),
    ("pg_attrdef", "adrelid"),
    ("pg_policy", "polrelid"),
)
_PART_TABLES = "".join(
    f"""
    UNION ALL SELECT 'r', x.{column} FROM {catalog} x
        WHERE cls = '{catalog}'::regclass AND x.oid = obj"""
    for catalog, column in _TABLE_OF_PART
)

_INSTALL = f"""
CREATE SCHEMA {LOG_SCHEMA};
CREATE UNLOGGED TABLE {LOG_SCHEMA}.entry (
    classid oid, objid oid, objsubid integer, command_tag text, object_type text,
    dropped boolean NOT NULL, address_names text[]
);
-- SECURITY DEFINER: the migrating role needs no right on the private schema.
CREATE FUNCTION {LOG_SCHEMA}.on_command_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO {LOG_SCHEMA}.entry
    SELECT classid, objid, objsubid, command_tag, object_type, false, NULL
    FROM pg_event_trigger_ddl_commands();
END $$;
CREATE FUNCTION {LOG_SCHEMA}.on_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO {LOG_SCHEMA}.entry
    SELECT classid, objid, objsubid, TG_TAG, object_type, true, address_names
    FROM pg_event_trigger_dropped_objects() WHERE NOT is_temporary;
END $$;
-- The snapshot units an object's (class, oid) belongs to (r relation, t type, p function): a
-- constraint is part of its table (and brings its index), a table also stands for its row type
-- and its indexes, an index also re-reads its table (a renamed constraint index renames the
-- constraint), a trigger, rule, default or policy is part of its table.
CREATE FUNCTION {LOG_SCHEMA}.units_of(cls oid, obj oid, OUT kind text, OUT id oid)
RETURNS SETOF record LANGUAGE sql STABLE ROWS 2 AS $$
    SELECT 'r'::text, obj WHERE cls = 'pg_class'::regclass
    UNION ALL SELECT 't', c.reltype FROM pg_class c
        WHERE cls = 'pg_class'::regclass AND c.oid = obj AND c.reltype <> 0
    UNION ALL SELECT 'r', i.indrelid FROM pg_index i
        WHERE cls = 'pg_class'::regclass AND i.indexrelid = obj
    UNION ALL SELECT 'r', i.indexrelid FROM pg_index i
        WHERE cls = 'pg_class'::regclass AND i.indrelid = obj
    UNION ALL SELECT 't', obj WHERE cls = 'pg_type'::regclass
    UNION ALL SELECT 'r', t.typrelid FROM pg_type t
        WHERE cls = 'pg_type'::regclass AND t.oid = obj AND t.typrelid <> 0
    UNION ALL SELECT 'p', obj WHERE cls = 'pg_proc'::regclass
    UNION ALL SELECT CASE WHEN c.conrelid <> 0 THEN 'r' ELSE 't' END,
                     CASE WHEN c.conrelid <> 0 THEN c.conrelid ELSE c.contypid END
        FROM pg_constraint c WHERE cls = 'pg_constraint'::regclass AND c.oid = obj
    UNION ALL SELECT 'r', c.conindid FROM pg_constraint c
        WHERE cls = 'pg_constraint'::regclass AND c.oid = obj AND c.conindid <> 0{_PART_TABLES}
$$;
CREATE EVENT TRIGGER manage_db_verify_command_end ON ddl_command_end
    EXECUTE FUNCTION {LOG_SCHEMA}.on_command_end();
CREATE EVENT TRIGGER manage_db_verify_drop ON sql_drop
    EXECUTE FUNCTION {LOG_SCHEMA}.on_drop();
"""

# Classes whose objects map to snapshot units (see units_of); anything else in the log is a
# catalog the incremental path does not follow, and the whole snapshot is read again.
_KNOWN_CLASSES = ", ".join(
    f"'{catalog}'::regclass"
    for catalog in ("pg_class", "pg_type", "pg_proc", "pg_constraint")
    + tuple(catalog for catalog, _ in _TABLE_OF_PART)
)

# Sub-objects whose address is (schema, table, name): their table is re-read when they go.
_TABLE_PARTS = "('table constraint', 'trigger', 'policy', 'rule', 'default value')"

# Role names appear in owners, ACLs, policies and default privileges, and role commands fire no
# event trigger: a fingerprint of the roles this database names goes with every read.  Those
# are the roles pg_shdepend records for its objects, plus the bootstrap superuser (whose
# ownership it does not record); roles of other databases, created and dropped by other jobs
# on a shared server, leave it alone.
_ROLES_FINGERPRINT = """
SELECT md5(string_agg(r.oid::text || ':' || r.rolname, ',' ORDER BY r.oid)) FROM pg_roles r
WHERE r.oid = 10 OR r.oid IN (
    SELECT sd.refobjid FROM pg_shdepend sd
    WHERE sd.refclassid = 'pg_authid'::regclass
      AND sd.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
"""

# One round trip: empty the log and answer (reason to read everything | units to read again).
_READ = f"""
WITH entry AS (
    DELETE FROM {LOG_SCHEMA}.entry RETURNING *
),
parent AS (
    -- The live parent of a dropped sub-object; NULL when the parent went too.
    SELECT e.*, CASE
        WHEN NOT e.dropped THEN NULL
        WHEN e.object_type IN {_TABLE_PARTS} THEN 'r'
        WHEN e.object_type = 'domain constraint' THEN 't' END AS parent_kind,
        CASE
        WHEN NOT e.dropped THEN NULL
        WHEN e.object_type IN {_TABLE_PARTS}
            THEN to_regclass(format('%I.%I', e.address_names[1], e.address_names[2]))::oid
        WHEN e.object_type = 'domain constraint'
            THEN to_regtype(e.address_names[1])::oid END AS parent_id
    FROM entry e
),
full_reason AS (
    SELECT string_agg(DISTINCT reason, ', ') AS reason FROM (
        SELECT p.command_tag AS reason FROM parent p
        WHERE p.classid IS NULL OR p.classid = 0
           OR p.classid NOT IN ({_KNOWN_CLASSES})
           OR p.command_tag IN ('GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES')
        UNION ALL
        -- A sub-object whose table is gone although the table's drop is not in the log.
        SELECT p.command_tag FROM parent p
        WHERE p.dropped AND p.parent_kind IS NOT NULL AND p.parent_id IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM parent q
              WHERE q.dropped AND q.classid IN ('pg_class'::regclass, 'pg_type'::regclass)
                AND q.objsubid = 0
                AND q.address_names = CASE p.parent_kind WHEN 'r' THEN p.address_names[1:2]
                                                         ELSE p.address_names[1:1] END)
    ) r
),
touched AS (
    -- Objects created or altered (and dropped relations, types, functions: read again, they
    -- come back empty and leave the snapshot), plus the parents of dropped sub-objects.
    SELECT u.kind, u.id FROM parent p, {LOG_SCHEMA}.units_of(p.classid, p.objid) u
    WHERE NOT p.dropped
    UNION
    SELECT CASE p.classid WHEN 'pg_class'::regclass THEN 'r'
                          WHEN 'pg_type'::regclass THEN 't' ELSE 'p' END, p.objid
    FROM parent p
    WHERE p.dropped AND p.classid IN ('pg_class'::regclass, 'pg_type'::regclass,
                                      'pg_proc'::regclass)
    UNION
    SELECT p.parent_kind, p.parent_id FROM parent p
    WHERE p.dropped AND p.parent_id IS NOT NULL
),
dependent AS (
    -- One level of dependents: their text names the touched object (a view's definition, a
    -- foreign key of another table, an index on a renamed column, a function's arguments).
    -- OFFSET 0 keeps the lateral subquery a per-unit index lookup: the planner, guessing
    -- hundreds of touched units, would otherwise merge-join the whole of pg_depend.
    SELECT u.kind, u.id
    FROM touched t
    CROSS JOIN LATERAL (
        SELECT d.classid, d.objid FROM pg_depend d
        WHERE d.refobjid = t.id AND d.refclassid = CASE t.kind
            WHEN 'r' THEN 'pg_class'::regclass WHEN 't' THEN 'pg_type'::regclass
            ELSE 'pg_proc'::regclass END
        OFFSET 0
    ) d
    CROSS JOIN LATERAL {LOG_SCHEMA}.units_of(d.classid, d.objid) u
)
SELECT (SELECT reason FROM full_reason),
       (SELECT count(*) FROM entry),
       ({_ROLES_FINGERPRINT}),
       array_agg(kind::text), array_agg(id::bigint)
FROM (SELECT * FROM touched UNION SELECT * FROM dependent) units
"""


@dataclass(frozen=True)
class Changes:
    """What the migrations since the last read touched.

    ``everything``: why the whole snapshot must be read again (None: ``units`` is enough).
    ``commands``: how many log entries there were (0: no DDL at all, a data-only step).
    """

    everything: str | None
    commands: int
    units: frozenset[Unit]

    @property
    def none(self) -> bool:
        """True when no DDL ran: the previous snapshot still holds."""
        return self.everything is None and self.commands == 0


class DdlLog:
    """The event-trigger log of one throwaway database, read on a superuser connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._roles: str | None = None

    def install(self) -> None:
        """Create the private schema, the log and the event triggers (superuser only)."""
        with self._connection.cursor() as cursor:
            cursor.execute(_INSTALL)
            # Read after every step: planned once, not each time.
            cursor.execute(f"PREPARE manage_db_ddl_log_read AS {_READ}")
        self._roles = self._role_fingerprint()

    def read(self) -> Changes:
        """Empty the log and tell what changed since the previous read."""
        with self._connection.cursor() as cursor:
            cursor.execute("EXECUTE manage_db_ddl_log_read")
            reason, commands, roles, kinds, ids = cursor.fetchone()
        if roles != self._roles:
            self._roles = roles
            reason = ", ".join(filter(None, [reason, "roles changed"]))
        units = frozenset(zip(kinds or (), ids or (), strict=True))
        return Changes(everything=reason or None, commands=commands, units=units)

    def clear(self) -> None:
        """Forget what is logged so far (after a full snapshot)."""
        with self._connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {LOG_SCHEMA}.entry")
        self._roles = self._role_fingerprint()

    def _role_fingerprint(self) -> str:
        with self._connection.cursor() as cursor:
            cursor.execute(_ROLES_FINGERPRINT)
            return str(cursor.fetchone()[0])
