"""The Debian package, built, installed, upgraded, reinstalled and purged for real.

These tests do what the platform does: build the .deb from the committed tree with
``dpkg-buildpackage``, install it with apt (Debian's own python3-alembic, python3-sqlalchemy...),
and let its postinst create and upgrade the real ``asterisk`` database on this machine's
PostgreSQL. They run as root on Debian only, once, in file order; each step is one test.
At the end the package is purged and whatever the tests created (role, database, system user)
is removed again — but only what did not exist before they started.
"""

from __future__ import annotations

import ast
import os
import pwd
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import psycopg2
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "wazo-manage-db"
SYSTEM_USER = "wazo-manage-db"
DATABASE = "asterisk"
OWNER = "asterisk"
VERSION_TABLE = "alembic_version"
PROBE_TABLE = "packaging_probe"
ADMIN_DSN = os.environ.get("PACKAGING_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres")
CONFIG_DIR = Path("/etc/wazo-manage-db")
LOG_FILE = Path("/var/log/wazo-manage-db.log")
SHARE_DIR = Path("/usr/share/wazo-manage-db")

# What a Debian host sees: no pyenv or virtualenv in the way of /usr/bin/python3.
SYSTEM_ENV = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "DEBIAN_FRONTEND": "noninteractive",
}
APT_INSTALL = [
    "apt-get",
    "install",
    "-y",
    "--no-install-recommends",
    "-o",
    "Dpkg::Options::=--force-confold",
]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="installs a Debian package: needs root",
    ),
    pytest.mark.skipif(
        shutil.which("dpkg-buildpackage") is None or shutil.which("apt-get") is None,
        reason="needs a Debian system with dpkg-buildpackage (devscripts, debhelper, dh-python)",
    ),
]


@dataclass
class Session:
    """What the steps share: the trees and packages built, and which steps passed."""

    workdir: Path
    source: Path
    head: str
    deb: Path | None = None
    newer_deb: Path | None = None
    newer_revision: str | None = None
    passed: set[str] = field(default_factory=set)

    def require(self, *steps: str) -> None:
        missing = [step for step in steps if step not in self.passed]
        if missing:
            pytest.skip(f"needs the step(s) that failed or did not run: {', '.join(missing)}")


def run(cmd: list[str], cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command as a Debian host would, showing its output when it fails."""
    result = subprocess.run(
        cmd, cwd=cwd or "/", env=SYSTEM_ENV, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def query(sql: str, params: tuple | dict = (), database: str = "postgres") -> list[tuple]:
    conn = psycopg2.connect(f"{ADMIN_DSN} dbname={database}")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def database_exists() -> bool:
    return bool(query("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)))


def role_exists() -> bool:
    return bool(query("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)))


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def package_installed() -> bool:
    result = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE], check=False)
    return result.returncode == 0 and result.stdout.startswith("ii")


def package_known() -> bool:
    """Installed, half-installed or with configuration left: anything purge would act on."""
    result = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE], check=False)
    return result.returncode == 0 and result.stdout[:2].strip() not in ("", "un", "pn")


def database_revision() -> str:
    rows = query(f"SELECT version_num FROM {VERSION_TABLE}", database=DATABASE)
    assert len(rows) == 1, f"{VERSION_TABLE} holds {rows}, expected one revision"
    return rows[0][0]


def dump_database() -> str:
    """Schema and data of the asterisk database, as pg_dump prints them."""
    host = dict(item.split("=", 1) for item in ADMIN_DSN.split())
    port = host.get("port", "5432")
    dump = run(["pg_dump", "-h", host["host"], "-p", port, "-U", host["user"], DATABASE]).stdout
    # pg_dump >= 15.14 wraps the dump in \restrict / \unrestrict lines with a random key.
    kept = [
        line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))
    ]
    return "\n".join(kept)


def objects_not_owned_by_owner() -> list[str]:
    """Every schema, relation, function and type of the database that the owner role lacks.

    Extension members are left out: extensions are created by a superuser, as on the platform.
    """
    return [
        row[0]
        for row in query(
            """
            WITH ext AS (
                SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
            ), user_ns AS (
                SELECT oid, nspname FROM pg_namespace
                WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                  AND nspname NOT LIKE 'pg\\_toast%%' AND nspname NOT LIKE 'pg\\_temp%%'
            )
            SELECT 'schema ' || n.nspname FROM user_ns n JOIN pg_namespace p ON p.oid = n.oid
            WHERE p.nspowner NOT IN (%(owner)s::regrole, 'pg_database_owner'::regrole)
            UNION ALL
            SELECT 'relation ' || c.oid::regclass::text || ' owned by ' || c.relowner::regrole
            FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
            WHERE c.relowner <> %(owner)s::regrole
              AND (c.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_class'::regclass))
            UNION ALL
            SELECT 'function ' || p.oid::regprocedure::text || ' owned by ' || p.proowner::regrole
            FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
            WHERE p.proowner <> %(owner)s::regrole
              AND p.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_proc'::regclass)
            UNION ALL
            SELECT 'type ' || t.oid::regtype::text || ' owned by ' || t.typowner::regrole
            FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
            WHERE t.typowner <> %(owner)s::regrole
              AND t.typrelid = 0
              AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
              AND t.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_type'::regclass)
            ORDER BY 1
            """,
            {"owner": OWNER},
            database=DATABASE,
        )
    ]


def owned_tables() -> set[str]:
    rows = query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
        (OWNER,),
        database=DATABASE,
    )
    return {row[0] for row in rows}


def tree_head(versions: Path) -> str:
    """The single head of the revision files in ``versions``, read from their source."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if target is None and isinstance(node, ast.AnnAssign):
                target = node.target
            if isinstance(target, ast.Name) and target.id in (
                "revision",
                "down_revision",
            ):
                values[target.id] = ast.literal_eval(node.value)
        if "revision" not in values:
            continue
        down = values.get("down_revision")
        revisions[values["revision"]] = (down,) if isinstance(down, str) else tuple(down or ())
    parents = {parent for downs in revisions.values() for parent in downs}
    heads = sorted(set(revisions) - parents)
    assert len(heads) == 1, f"{versions}: expected one head, found {heads}"
    return heads[0]


def build(source: Path) -> Path:
    """Build the binary package of ``source``; lintian must report no error."""
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=source)
    version = run(["dpkg-parsechangelog", "-S", "Version"], cwd=source).stdout.strip()
    debs = list(source.parent.glob(f"{PACKAGE}_{version}_all.deb"))
    assert len(debs) == 1, f"dpkg-buildpackage left {debs} in {source.parent}"
    lintian = run(["lintian", "--fail-on", "error", str(debs[0])], check=False)
    errors = [line for line in lintian.stdout.splitlines() if line.startswith("E:")]
    assert lintian.returncode == 0 and not errors, f"lintian:\n{lintian.stdout}{lintian.stderr}"
    print(f"lintian {debs[0].name}:\n{lintian.stdout or '(clean)'}")
    return debs[0]


def add_changelog_entry(source: Path, version: str, text: str) -> None:
    changelog = source / "debian" / "changelog"
    date = formatdate(localtime=False, usegmt=False)
    entry = (
        f"{PACKAGE} ({version}) bookworm; urgency=medium\n\n  * {text}\n\n"
        f" -- Wazo Maintainers <dev@wazo.community>  {date}\n\n"
    )
    changelog.write_text(entry + changelog.read_text(encoding="utf-8"), encoding="utf-8")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The committed tree exported to a temporary directory; the machine restored at the end."""
    if package_known():
        pytest.skip(f"{PACKAGE} is already installed here; purge it before running these tests")
    had_database, had_role = database_exists(), role_exists()
    had_user = user_exists(SYSTEM_USER)

    workdir = tmp_path_factory.mktemp("debian-package")
    source = workdir / "src"
    override = os.environ.get("PACKAGING_SOURCE_DIR")
    if override:
        # A tree to build instead of the last commit (trying uncommitted packaging changes).
        shutil.copytree(override, source, ignore=shutil.ignore_patterns(".git", ".venv"))
    else:
        # Exactly what a clone of the repository holds: no virtualenv, no stray local files.
        source.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    state = Session(workdir=workdir, source=source, head=tree_head(source / "alembic" / "versions"))
    try:
        yield state
    finally:
        if package_known():
            run(["apt-get", "purge", "-y", PACKAGE], check=False)
        if had_database and state.newer_revision and database_exists():
            # The probe revision is not in the repository: put the database back where it was.
            query(f"DROP TABLE IF EXISTS {PROBE_TABLE}", database=DATABASE)
            query(
                f"UPDATE {VERSION_TABLE} SET version_num = %s WHERE version_num = %s",
                (state.head, state.newer_revision),
                database=DATABASE,
            )
        if not had_database and database_exists():
            query(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
        if not had_role and role_exists():
            query(f'DROP ROLE "{OWNER}"')
        if not had_user and user_exists(SYSTEM_USER):
            run(["userdel", SYSTEM_USER], check=False)
            run(["groupdel", SYSTEM_USER], check=False)


def test_package_builds_with_no_lintian_error(session: Session) -> None:
    session.deb = build(session.source)
    contents = run(["dpkg-deb", "--contents", str(session.deb)]).stdout
    for path in (
        "./usr/bin/wazo-manage-db",
        "./usr/share/wazo-manage-db/alembic.ini",
        "./usr/share/wazo-manage-db/alembic/env.py",
        "./usr/share/wazo-manage-db/alembic/versions/",
        "./etc/wazo-manage-db/config.yml",
        "./etc/wazo-manage-db/conf.d/",
        "./etc/logrotate.d/wazo-manage-db",
        "./usr/lib/python3/dist-packages/manage_db/__init__.py",
    ):
        assert f" {path}\n" in contents or contents.endswith(f" {path}"), f"{path} not in the .deb"
    assert "/dist-packages/tests/" not in contents, "the test suite was packaged as a module"
    assert "__pycache__" not in contents
    # The wheel's copy of the tree is for pip installs; the .deb keeps it in /usr/share only.
    assert "/dist-packages/manage_db/platform/" not in contents
    depends = run(["dpkg-deb", "-f", str(session.deb), "Depends"]).stdout
    assert "binary" not in depends, f"the pip name psycopg2-binary leaked into Depends: {depends}"
    for dependency in (
        "python3-alembic",
        "python3-sqlalchemy",
        "python3-psycopg2",
        "adduser",
    ):
        assert dependency in depends
    session.passed.add("build")


def test_install_pulls_debian_dependencies_and_sets_up_the_host(
    session: Session,
) -> None:
    session.require("build")
    run([*APT_INSTALL, f"./{session.deb.name}"], cwd=session.deb.parent)
    assert package_installed()

    cli = Path("/usr/bin/wazo-manage-db")
    assert cli.read_text(encoding="utf-8").startswith("#!/usr/bin/python3\n")
    probe = (
        "import alembic, sqlalchemy, manage_db; "
        "print(manage_db.__file__, alembic.__file__, alembic.__version__, sqlalchemy.__version__)"
    )
    where = run(["/usr/bin/python3", "-I", "-c", probe]).stdout.split()
    print(f"installed tool runs on alembic {where[2]}, SQLAlchemy {where[3]}")
    assert all(path.startswith("/usr/lib/python3/dist-packages/") for path in where[:2])

    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
    assert str(CONFIG_DIR / "config.yml") in conffiles
    assert (CONFIG_DIR / "conf.d").is_dir()
    assert (SHARE_DIR / "alembic.ini").is_file() and (SHARE_DIR / "alembic" / "env.py").is_file()
    assert user_exists(SYSTEM_USER)
    assert pwd.getpwuid(LOG_FILE.stat().st_uid).pw_name == SYSTEM_USER
    run(["logrotate", "--debug", f"/etc/logrotate.d/{PACKAGE}"])
    session.passed.add("install")


def test_postinst_brought_the_asterisk_database_to_head_owned_by_asterisk(
    session: Session,
) -> None:
    session.require("install")
    assert database_exists()
    owner = query(
        "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database "
        "WHERE datname = %s",
        (DATABASE,),
    )
    assert owner == [(OWNER, "UTF8")]
    assert database_revision() == session.head
    assert len(owned_tables()) > 1, "no table created by the migrations"
    assert objects_not_owned_by_owner() == []
    session.passed.add("database")


def test_status_exits_0_at_head(session: Session) -> None:
    session.require("install")
    result = run(["wazo-manage-db", "status"], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert session.head in result.stdout
    session.passed.add("status")


def test_tool_works_without_the_recommended_pglast(session: Session) -> None:
    """python3-pglast is only a Recommends: without it, only lint may refuse, in one line."""
    session.require("status")
    without_pglast = (
        "import sys; sys.modules['pglast'] = None; sys.argv[0] = 'wazo-manage-db'; "
        "from manage_db.cli import main; main()"
    )
    status = run(["/usr/bin/python3", "-I", "-c", without_pglast, "status"], check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    if re.search(r"^\s+lint\s", run(["wazo-manage-db", "--help"]).stdout, re.MULTILINE):
        lint = run(["/usr/bin/python3", "-I", "-c", without_pglast, "lint"], check=False)
        assert lint.returncode != 0
        assert "python3-pglast" in lint.stderr and "Traceback" not in lint.stderr, lint.stderr


def test_reinstall_changes_nothing(session: Session) -> None:
    session.require("database")
    before = dump_database()
    run([*APT_INSTALL, "--reinstall", f"./{session.deb.name}"], cwd=session.deb.parent)
    assert package_installed()
    assert dump_database() == before
    session.passed.add("reinstall")


def test_newer_package_with_one_more_revision_upgrades_the_database(
    session: Session,
) -> None:
    session.require("database")
    source = session.workdir / "newer" / "src"
    shutil.copytree(session.source, source)
    revision = uuid.uuid4().hex[:12]
    (source / "alembic" / "versions" / f"{revision}_packaging_probe.py").write_text(
        f'''"""packaging probe: one more revision in a newer package

Revision ID: {revision}
Revises: {session.head}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{session.head}"


def upgrade():
    op.create_table("{PROBE_TABLE}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("{PROBE_TABLE}")
''',
        encoding="utf-8",
    )
    version = run(["dpkg-parsechangelog", "-S", "Version"], cwd=source).stdout.strip()
    add_changelog_entry(source, f"{version}+probe1", "Add a probe revision.")
    session.newer_revision = revision
    session.newer_deb = build(source)

    tables_before = owned_tables()
    run([*APT_INSTALL, f"./{session.newer_deb.name}"], cwd=session.newer_deb.parent)
    installed = run(["dpkg-query", "-W", "-f=${Version}", PACKAGE]).stdout
    assert installed == f"{version}+probe1"
    assert database_revision() == revision
    assert owned_tables() == tables_before | {PROBE_TABLE}
    assert objects_not_owned_by_owner() == []
    assert run(["wazo-manage-db", "status"], check=False).returncode == 0
    session.passed.add("upgrade")


def test_unreachable_server_fails_the_install_clearly_until_fixed(session: Session) -> None:
    session.require("install")
    deb = session.newer_deb or session.deb
    # Sorts first in conf.d, so it wins over any other file there.
    unreachable = CONFIG_DIR / "conf.d" / "00-packaging-test-unreachable.yml"
    unreachable.write_text(
        "admin_uri: postgresql://postgres@127.0.0.1:1/postgres\n"
        "db_uri: postgresql://asterisk@127.0.0.1:1/asterisk\n"
        "server_wait: 0.5\n",
        encoding="utf-8",
    )
    try:
        failed = run([*APT_INSTALL, "--reinstall", f"./{deb.name}"], cwd=deb.parent, check=False)
    finally:
        unreachable.unlink()
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "127.0.0.1" in output and "database setup failed (exit 4" in output, output

    run(["dpkg", "--configure", "-a"])
    assert package_installed()
    assert run(["wazo-manage-db", "status"], check=False).returncode == 0


def test_purge_removes_config_and_log_but_keeps_the_database(session: Session) -> None:
    session.require("install")
    # An administrator's override: purge removes it with the rest of the configuration.
    (CONFIG_DIR / "conf.d" / "50-local.yml").write_text("log_level: info\n", encoding="utf-8")
    before = dump_database()
    run(["apt-get", "purge", "-y", PACKAGE])
    assert not package_known()
    assert not CONFIG_DIR.exists()
    assert not LOG_FILE.exists()
    assert not SHARE_DIR.exists()
    assert database_exists()
    assert dump_database() == before
