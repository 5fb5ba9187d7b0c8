"""Schema snapshots read from the PostgreSQL catalog.

A snapshot maps every schema object of a database — ``(kind, name)`` such as
``("table", "public.users")`` — to its properties: owner, ACL, comment and whatever defines
the object (columns with type, nullability, default, identity and generation; constraint,
index, trigger, view and function definitions; enum labels in order; domain constraints;
sequence parameters; extension versions).  System schemas, objects that belong to an
extension and the component's own version tables are left out.

The whole catalog is read by one query.  The server renders each object's properties as
JSON text and returns only its md5 digest; the properties of a digest never seen before are
fetched by a second query restricted to those objects and kept in a cache shared by every
snapshot of the reader.  A migration touches a few objects, so most snapshots cost one round
trip of a few hundred short rows, and comparing two snapshots is comparing their digests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import md5
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg2.extensions import connection as Connection

ObjectKey = tuple[str, str]  # (kind, name), e.g. ("index", "public.users_email_idx")

# Object kinds that carry an owner and an ACL, as the snapshot names them.
OWNED_KINDS = (
    "schema",
    "table",
    "view",
    "materialized view",
    "foreign table",
    "sequence",
    "function",
    "procedure",
    "aggregate",
    "enum",
    "domain",
    "composite type",
    "range type",
)


@dataclass(frozen=True)
class Snapshot:
    """Every object of a database with the digest of its properties.

    ``digests`` decides equality; ``properties`` holds the decoded properties of each object
    (dicts shared between snapshots of one reader: never mutate them).
    """

    digests: Mapping[ObjectKey, str]
    properties: Mapping[ObjectKey, Mapping[str, Any]] = field(repr=False, compare=False)

    def same_as(self, other: Snapshot) -> bool:
        """True when both snapshots hold the same objects with the same properties."""
        return self.digests == other.digests

    def keys(self) -> Iterable[ObjectKey]:
        """The objects, in a stable order."""
        return sorted(self.digests)


class _Properties(Mapping[ObjectKey, Mapping[str, Any]]):
    """The properties of a snapshot's objects, looked up by digest when asked for.

    Only differences are ever described, so building the whole map after every step would be
    wasted; the digest cache it reads is only ever added to.
    """

    def __init__(
        self,
        digests: Mapping[ObjectKey, str],
        known: Mapping[str, Mapping[str, Any]],
        extra: Mapping[ObjectKey, Mapping[str, Any]],
    ) -> None:
        self._digests = digests
        self._known = known
        self._extra = extra

    def __getitem__(self, key: ObjectKey) -> Mapping[str, Any]:
        if key in self._extra:
            return self._extra[key]
        return self._known[self._digests[key]]

    def __iter__(self) -> Iterator[ObjectKey]:
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)


# Schemas the snapshot never looks at: the system's own and the per-session temporary ones.
_SCHEMA_FILTER = """
    nspname NOT IN ('pg_catalog', 'information_schema')
    AND nspname NOT LIKE 'pg\\_toast%%' AND nspname NOT LIKE 'pg\\_temp\\_%%'
    AND (%(schemas)s::text[] IS NULL OR nspname = ANY(%(schemas)s::text[]))
    AND nspname <> ALL(%(exclude_schemas)s::text[])
"""

# One SELECT per catalog family, each returning (kind, name, props json).  json (not jsonb)
# keeps key order, so the text of the properties is stable and its digest comparable.
_OBJECTS = f"""
WITH ns AS (
    SELECT oid, nspname, nspowner, nspacl FROM pg_namespace WHERE {_SCHEMA_FILTER}
),
kept AS (
    -- Relations the snapshot holds (an index only if its table is held too); "selected": to be
    -- read, not only there as the table of an index being read.
    SELECT c.oid, true AS selected FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
    WHERE NOT %(only)s AND NOT EXISTS (
        SELECT 1 FROM pg_depend m
        WHERE m.deptype = 'e' AND m.classid = 'pg_class'::regclass AND m.objid = c.oid
    )
    AND NOT (c.relkind IN ('r', 'p') AND c.relname = ANY(%(exclude_tables)s::text[]))
    UNION ALL
    -- A partial read, driven by the oids asked for (the caller leaves extension members out):
    -- a table brings its indexes (a table rewrite rebuilds them under new oids), an index its
    -- table.
    -- (OFFSET 0: one index lookup per oid; the prepared plan cannot know there are few.)
    SELECT c.oid, bool_or(w.selected) FROM (
        SELECT unnest(%(rel_ids)s::oid[]) AS oid, true AS selected
        UNION ALL
        SELECT indexrelid, true FROM pg_index WHERE indrelid = ANY(%(rel_ids)s::oid[])
        UNION ALL
        SELECT indrelid, false FROM pg_index WHERE indexrelid = ANY(%(rel_ids)s::oid[])
    ) w
    CROSS JOIN LATERAL (
        SELECT c.oid, c.relkind, c.relname, c.relnamespace FROM pg_class c
        WHERE c.oid = w.oid OFFSET 0
    ) c
    JOIN ns n ON n.oid = c.relnamespace
    WHERE %(only)s
    AND NOT (c.relkind IN ('r', 'p') AND c.relname = ANY(%(exclude_tables)s::text[]))
    GROUP BY c.oid
),
rel AS (
    SELECT c.*, n.nspname
    FROM kept k
    CROSS JOIN LATERAL (SELECT * FROM pg_class c WHERE c.oid = k.oid OFFSET 0) c
    JOIN ns n ON n.oid = c.relnamespace
    WHERE k.selected
)
SELECT 'schema' AS kind, n.nspname AS name, json_build_object(
    'owner', pg_get_userbyid(n.nspowner),
    'acl', n.nspacl::text,
    'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = n.oid
                AND d.classoid = 'pg_namespace'::regclass)
) AS props, 'n' AS unit_kind, n.oid AS unit_id, NULL::oid AS parent_id
FROM ns n
WHERE NOT %(only)s AND NOT EXISTS (
    SELECT 1 FROM pg_depend m
    WHERE m.deptype = 'e' AND m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
)
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'f' THEN 'foreign table' ELSE 'table' END,
    c.nspname || '.' || c.relname,
    json_build_object(
        'owner', pg_get_userbyid(c.relowner),
        'acl', c.relacl::text,
        'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid
                    AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0),
        'partitioned', c.relkind = 'p',
        'persistence', c.relpersistence,
        'options', c.reloptions::text,
        'row_security', c.relrowsecurity,
        'force_row_security', c.relforcerowsecurity,
        'partition_key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
        'partition_bound', pg_get_expr(c.relpartbound, c.oid),
        'inherits', (SELECT json_agg(i.inhparent::regclass::text ORDER BY i.inhseqno)
                     FROM pg_inherits i WHERE i.inhrelid = c.oid),
        'definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
        'columns', (
            SELECT json_object_agg(a.attname, json_build_object(
                'type', format_type(a.atttypid, a.atttypmod),
                'not_null', a.attnotnull,
                'default', pg_get_expr(ad.adbin, ad.adrelid),
                'identity', NULLIF(a.attidentity, ''),
                'generated', NULLIF(a.attgenerated, ''),
                'collation', (SELECT co.collname FROM pg_collation co
                              WHERE co.oid = a.attcollation AND a.attcollation <> (
                                  SELECT t.typcollation FROM pg_type t
                                  WHERE t.oid = a.atttypid)),
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid
                            AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum),
                'acl', a.attacl::text
            ) ORDER BY a.attname)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        ),
        'constraints', (
            SELECT json_object_agg(con.conname, json_build_object(
                'type', con.contype,
                'definition', pg_get_constraintdef(con.oid),
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = con.oid
                            AND d.classoid = 'pg_constraint'::regclass)
            ) ORDER BY con.conname)
            FROM pg_constraint con WHERE con.conrelid = c.oid
        ),
        'triggers', (
            SELECT json_object_agg(tg.tgname, json_build_object(
                'definition', pg_get_triggerdef(tg.oid),
                'enabled', tg.tgenabled,
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = tg.oid
                            AND d.classoid = 'pg_trigger'::regclass)
            ) ORDER BY tg.tgname)
            FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal
        ),
        'policies', (
            SELECT json_object_agg(po.polname, json_build_object(
                'command', po.polcmd,
                'permissive', po.polpermissive,
                'roles', (SELECT json_agg(CASE r WHEN 0 THEN 'PUBLIC'
                                          ELSE pg_get_userbyid(r) END ORDER BY 1)
                          FROM unnest(po.polroles) r),
                'using', pg_get_expr(po.polqual, po.polrelid),
                'check', pg_get_expr(po.polwithcheck, po.polrelid)
            ) ORDER BY po.polname)
            FROM pg_policy po WHERE po.polrelid = c.oid
        ),
        'rules', (
            SELECT json_object_agg(ru.rulename, pg_get_ruledef(ru.oid) ORDER BY ru.rulename)
            FROM pg_rewrite ru WHERE ru.ev_class = c.oid AND ru.rulename <> '_RETURN'
        )
    ), 'r', c.oid, NULL
FROM rel c
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'index', c.nspname || '.' || c.relname, json_build_object(
    'table', i.indrelid::regclass::text,
    'definition', pg_get_indexdef(i.indexrelid),
    'clustered', i.indisclustered,
    'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid
                AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0)
), 'r', c.oid, i.indrelid
FROM rel c JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.relkind IN ('i', 'I') AND EXISTS (SELECT 1 FROM kept t WHERE t.oid = i.indrelid)
UNION ALL
SELECT 'sequence', c.nspname || '.' || c.relname, json_build_object(
    'owner', pg_get_userbyid(c.relowner),
    'acl', c.relacl::text,
    'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid
                AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0),
    'type', format_type(s.seqtypid, NULL),
    'start', s.seqstart,
    'increment', s.seqincrement,
    'min', s.seqmin,
    'max', s.seqmax,
    'cache', s.seqcache,
    'cycle', s.seqcycle,
    'owned_by', (SELECT dep.refobjid::regclass::text || '.' || a.attname
                 FROM pg_depend dep JOIN pg_attribute a
                   ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
                 WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                   AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i'))
), 'r', c.oid, NULL
FROM rel c JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE c.relkind = 'S'
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
    n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
    json_build_object(
        'owner', pg_get_userbyid(p.proowner),
        'acl', p.proacl::text,
        'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid
                    AND d.classoid = 'pg_proc'::regclass),
        'result', pg_get_function_result(p.oid),
        -- pg_get_functiondef refuses aggregates; their signature and result are above.
        'definition', CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END
    ), 'p', p.oid, NULL
FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
WHERE (NOT %(only)s OR p.oid = ANY(%(proc_ids)s::oid[])) AND (%(only)s OR NOT EXISTS (
    SELECT 1 FROM pg_depend m
    WHERE m.deptype = 'e' AND m.classid = 'pg_proc'::regclass AND m.objid = p.oid
))
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                      WHEN 'r' THEN 'range type' ELSE 'composite type' END,
    n.nspname || '.' || t.typname,
    json_build_object(
        'owner', pg_get_userbyid(t.typowner),
        'acl', t.typacl::text,
        'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid
                    AND d.classoid = 'pg_type'::regclass),
        'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = t.oid),
        'base_type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
        'not_null', t.typnotnull,
        'default', t.typdefault,
        'constraints', (SELECT json_object_agg(con.conname, pg_get_constraintdef(con.oid)
                                               ORDER BY con.conname)
                        FROM pg_constraint con WHERE con.contypid = t.oid),
        'attributes', (SELECT json_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                       ORDER BY a.attnum)
                       FROM pg_attribute a
                       WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
        'subtype', (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r
                    WHERE r.rngtypid = t.oid)
    ), 't', t.oid, NULL
FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
WHERE (NOT %(only)s OR t.oid = ANY(%(type_ids)s::oid[])) AND (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
AND (%(only)s OR NOT EXISTS (
    SELECT 1 FROM pg_depend m
    WHERE m.deptype = 'e' AND m.classid = 'pg_type'::regclass AND m.objid = t.oid
))
UNION ALL
SELECT 'extension', e.extname, json_build_object(
    'version', e.extversion,
    'schema', en.nspname,
    'owner', pg_get_userbyid(e.extowner)
), 'e', e.oid, NULL
FROM pg_extension e JOIN pg_namespace en ON en.oid = e.extnamespace
WHERE NOT %(only)s
AND (%(schemas)s::text[] IS NULL OR en.nspname = ANY(%(schemas)s::text[]))
"""

_DIGESTS = f"""
SELECT kind, name, md5(props::text), unit_kind, unit_id, parent_id FROM ({_OBJECTS}) o
"""

_DETAILS = f"""
SELECT kind, name, md5(props::text), props::text FROM ({_OBJECTS}) o
WHERE (kind, name) IN (SELECT * FROM unnest(%(kinds)s::text[], %(names)s::text[]))
"""

# Objects that belong to an extension, as units: a partial read leaves them out in Python
# rather than asking pg_depend for every object read (they change only with CREATE/ALTER
# EXTENSION, after which the DDL log asks for a full read).
_EXTENSION_MEMBERS = """
SELECT CASE classid WHEN 'pg_class'::regclass THEN 'r' WHEN 'pg_type'::regclass THEN 't'
                    WHEN 'pg_proc'::regclass THEN 'p' END, objid
FROM pg_depend
WHERE deptype = 'e' AND classid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass)
"""

_UNITS = f"""
SELECT kind, name, md5(props::text), props::text, unit_kind, unit_id, parent_id
FROM ({_OBJECTS}) o
"""

# The partial read is run after every migration step: prepared once, it is not planned again
# each time (planning the big query costs more than running it on a few objects).
_PARTIAL_READ = "manage_db_snapshot_units"
_PARAM_TYPES = {
    "schemas": "text[]",
    "exclude_schemas": "text[]",
    "exclude_tables": "text[]",
    "only": "boolean",
    "rel_ids": "oid[]",
    "type_ids": "oid[]",
    "proc_ids": "oid[]",
}


def _prepared(name: str, query: str) -> str:
    """``PREPARE name (...) AS query``, its ``%(param)s`` placeholders made positional."""
    names = list(_PARAM_TYPES)
    for position, param in enumerate(names, start=1):
        query = query.replace(f"%({param})s", f"${position}")
    types = ", ".join(_PARAM_TYPES[param] for param in names)
    return f"PREPARE {name} ({types}) AS {query.replace('%%', '%')}"


# A unit is what one catalog row stands for in the snapshot: ("r", oid) a relation, ("t", oid)
# a type, ("p", oid) a function, ("n", oid) a schema, ("e", oid) an extension.
Unit = tuple[str, int]


class StaleSnapshot(Exception):
    """A partial read does not fit the snapshot (a renamed object nobody asked for): read all."""


class SnapshotReader:
    """Takes snapshots of the database behind one psycopg2 connection.

    ``schemas``: only these schemas (None: every non-system schema).
    ``exclude_schemas``: schemas left out (verify's private log schema).
    ``exclude_tables``: table names left out (the component's version table).
    ``with_rows``: also take, for every table, its row count and a digest of its rows, as
    objects of kind ``rows`` — how a downgrade that loses data is caught.  Needs SELECT on
    every table, so connect as the owner or a superuser.  The reader empties the session's
    search_path.

    ``take`` reads the whole catalog; ``refresh(units)`` reads only the given units again and
    patches the last snapshot (what verify does after a migration, knowing what it touched).
    """

    def __init__(
        self,
        connection: Connection,
        *,
        schemas: Sequence[str] | None = None,
        exclude_schemas: Sequence[str] = (),
        exclude_tables: Sequence[str] = (),
        with_rows: bool = False,
    ) -> None:
        self._connection = connection
        self._params: dict[str, Any] = {
            "schemas": list(schemas) if schemas is not None else None,
            "exclude_schemas": list(exclude_schemas),
            "exclude_tables": list(exclude_tables),
            "only": False,
            "rel_ids": [],
            "type_ids": [],
            "proc_ids": [],
        }
        self._with_rows = with_rows
        # Names in definitions are qualified unless their schema is on the search_path: an
        # empty path makes the text the same whatever the role's or a dump's settings.
        # The catalog queries are small but look big to the planner: JIT compiling them costs
        # far more than running them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('search_path', '', false), set_config('jit', 'off', false)"
            )
        # digest -> decoded properties; shared by every snapshot this reader takes.
        self._known: dict[str, Mapping[str, Any]] = {}
        # The last snapshot's schema objects, and which unit each one stands for.
        self._digests: dict[ObjectKey, str] = {}
        self._unit_of: dict[ObjectKey, Unit] = {}
        self._key_of: dict[Unit, ObjectKey] = {}
        # table oid -> its indexes: rewriting a table (ALTER COLUMN TYPE) rebuilds them under new
        # oids, and the old ones leave no trace but in this map.
        self._indexes: dict[int, set[ObjectKey]] = {}
        self._table_of: dict[ObjectKey, int] = {}
        self._extension_members: set[Unit] = set()
        self._prepared = False

    def take(self) -> Snapshot:
        """Read the catalog now and return its snapshot."""
        with self._connection.cursor() as cursor:
            cursor.execute(_DIGESTS, self._params)
            rows = cursor.fetchall()
        digests: dict[ObjectKey, str] = {(k, n): d for k, n, d, _, _, _ in rows}
        unknown = [key for key, digest in digests.items() if digest not in self._known]
        if unknown:
            self._fetch_properties(unknown, digests)
        self._digests = digests
        with self._connection.cursor() as cursor:
            cursor.execute(_EXTENSION_MEMBERS)
            self._extension_members = {(kind, int(oid)) for kind, oid in cursor}
        self._unit_of = {(k, n): (uk, int(uid)) for k, n, _, uk, uid, _ in rows}
        self._key_of = {unit: key for key, unit in self._unit_of.items()}
        self._table_of = {(k, n): int(t) for k, n, _, _, _, t in rows if t is not None}
        self._indexes = {}
        for key, table in self._table_of.items():
            self._indexes.setdefault(table, set()).add(key)
        return self._snapshot()

    def current(self) -> Snapshot:
        """The last snapshot again (nothing ran since), its rows read again if they are kept."""
        return self._snapshot()

    def refresh(self, units: Iterable[Unit]) -> Snapshot:
        """Read ``units`` again and return the last snapshot patched with them.

        A unit that no longer exists leaves the snapshot; one that appears joins it.  Raises
        StaleSnapshot when a unit read comes back under the name of an object that was not
        read again: something changed that the caller did not know of.
        """
        wanted = set(units) - self._extension_members
        params = dict(
            self._params,
            only=True,
            rel_ids=[oid for kind, oid in wanted if kind == "r"],
            type_ids=[oid for kind, oid in wanted if kind == "t"],
            proc_ids=[oid for kind, oid in wanted if kind == "p"],
        )
        with self._connection.cursor() as cursor:
            if not self._prepared:
                # A generic plan: the one-time filters on "only" still skip the full branches.
                cursor.execute("SET plan_cache_mode = force_generic_plan")
                cursor.execute(_prepared(_PARTIAL_READ, _UNITS))
                self._prepared = True
            placeholders = ", ".join(f"%({param})s" for param in _PARAM_TYPES)
            cursor.execute(f"EXECUTE {_PARTIAL_READ} ({placeholders})", params)
            rows = cursor.fetchall()
        gone = {self._key_of[unit] for unit in wanted if unit in self._key_of}
        for kind, oid in wanted:
            if kind == "r":
                gone |= self._indexes.get(oid, set())
        for key in gone:
            self._forget(key)
        for kind, name, digest, text, unit_kind, unit_id, table in rows:
            key = (kind, name)
            if key in self._digests:
                raise StaleSnapshot(f"{kind} {name} read again under another object")
            if digest not in self._known:
                self._known[digest] = json.loads(text)
            unit = (unit_kind, int(unit_id))
            self._digests[key] = digest
            self._unit_of[key] = unit
            self._key_of[unit] = key
            if table is not None:
                self._table_of[key] = int(table)
                self._indexes.setdefault(int(table), set()).add(key)
        return self._snapshot()

    def _forget(self, key: ObjectKey) -> None:
        del self._digests[key]
        del self._key_of[self._unit_of.pop(key)]
        table = self._table_of.pop(key, None)
        if table is not None:
            self._indexes[table].discard(key)

    def _snapshot(self) -> Snapshot:
        digests = dict(self._digests)
        rows: dict[ObjectKey, Mapping[str, Any]] = {}
        if self._with_rows:
            tables = [name for kind, name in digests if kind == "table"]
            for name, props in self._read_rows(tables).items():
                key = ("rows", name)
                digests[key] = md5(json.dumps(props, sort_keys=True).encode()).hexdigest()
                rows[key] = props
        return Snapshot(digests=digests, properties=_Properties(digests, self._known, rows))

    def _fetch_properties(self, keys: list[ObjectKey], digests: dict[ObjectKey, str]) -> None:
        params = dict(self._params, kinds=[k for k, _ in keys], names=[n for _, n in keys])
        with self._connection.cursor() as cursor:
            cursor.execute(_DETAILS, params)
            for kind, name, digest, text in cursor.fetchall():
                self._known[digest] = json.loads(text)
                # The catalog may have moved between the two queries only if someone else
                # ran DDL meanwhile; trust the second read.
                digests[(kind, name)] = digest

    def _read_rows(self, tables: list[str]) -> dict[str, dict[str, Any]]:
        """Row count and a digest of the rows of each table, in one query.

        Rows are read as jsonb (keys sorted), so a column dropped and added back at the end of
        the table, its value restored, gives the same digest.
        """
        if not tables:
            return {}
        from psycopg2 import sql

        parts = [
            sql.SQL(
                "SELECT {label}, count(*), "
                "md5(coalesce(string_agg(to_jsonb(t)::text, E'\\n' "
                "ORDER BY to_jsonb(t)::text), '')) "
                "FROM {table} t"
            ).format(label=sql.Literal(name), table=sql.Identifier(*name.split(".", 1)))
            for name in tables
        ]
        with self._connection.cursor() as cursor:
            cursor.execute(sql.SQL(" UNION ALL ").join(parts))
            return {name: {"count": count, "content": digest} for name, count, digest in cursor}


def take_snapshot(
    connection: Connection,
    *,
    schemas: Sequence[str] | None = None,
    exclude_tables: Sequence[str] = (),
    with_rows: bool = False,
) -> Snapshot:
    """One snapshot of the database behind ``connection`` (see SnapshotReader)."""
    reader = SnapshotReader(
        connection, schemas=schemas, exclude_tables=exclude_tables, with_rows=with_rows
    )
    return reader.take()
