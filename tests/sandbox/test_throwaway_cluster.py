"""The throwaway cluster: a real PostgreSQL server in a temp dir, gone after stop()."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg2
import pytest

from manage_db.dao.cluster import (
    ClusterError,
    ThrowawayCluster,
    accepts_connections,
    start_test_cluster,
)
from manage_db.errors import EXIT_CONNECTION


def _current_user(uri: str) -> str:
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return str(cursor.fetchone()[0])
    finally:
        conn.close()


def test_cluster_accepts_the_superuser_then_disappears_on_stop() -> None:
    with ThrowawayCluster() as cluster:
        uri = cluster.admin_uri()
        base_dir = cluster.directory
        assert _current_user(uri) == "postgres"
    assert not base_dir.exists()
    assert not accepts_connections(uri)


def test_cluster_databases_are_utf8() -> None:
    with ThrowawayCluster() as cluster:
        conn = psycopg2.connect(cluster.admin_uri())
        try:
            with conn.cursor() as cursor:
                cursor.execute("SHOW server_encoding")
                assert cursor.fetchone()[0] == "UTF8"
        finally:
            conn.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has to hand the server to another user")
def test_cluster_started_by_root_runs_as_an_unprivileged_user() -> None:
    with ThrowawayCluster() as cluster:
        assert cluster.run_as not in (None, "root")
        conn = psycopg2.connect(cluster.admin_uri())
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend_pid = cursor.fetchone()[0]
            owner_uid = Path(f"/proc/{backend_pid}").stat().st_uid
        finally:
            conn.close()
    assert owner_uid != 0


def test_password_auth_refuses_a_wrong_password_and_accepts_the_right_one() -> None:
    with ThrowawayCluster(password_auth=True) as cluster:
        assert cluster.password
        assert _current_user(cluster.admin_uri()) == "postgres"
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(cluster.uri(password="not-the-password"))
        with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
            psycopg2.connect(cluster.uri(password=""))


def test_missing_server_programs_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="initdb, pg_ctl, postgres") as caught:
        ThrowawayCluster(bindir=tmp_path)
    assert caught.value.exit_code == EXIT_CONNECTION
    assert str(tmp_path) in str(caught.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="a directory closed to the server user needs root")
def test_initdb_failure_names_the_directory_and_leaves_nothing(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(ClusterError, match="initdb failed as") as caught:
        ThrowawayCluster(parent_dir=closed).start()
    assert str(closed) in str(caught.value)
    assert list(closed.iterdir()) == []


def test_detached_cluster_runs_until_its_stop_command() -> None:
    cluster = ThrowawayCluster().start()
    uri = cluster.admin_uri()
    base_dir = cluster.directory
    stop_command = cluster.stop_command()
    cluster.detach()
    try:
        cluster.stop()  # a detached cluster is no longer ours to stop
        assert accepts_connections(uri)
    finally:
        stopped = subprocess.run(
            stop_command, check=False, shell=True, capture_output=True, text=True
        )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not base_dir.exists()
    assert not accepts_connections(uri)


def test_start_test_cluster_yields_a_superuser_uri_until_the_block_ends() -> None:
    with start_test_cluster() as uri:
        assert _current_user(uri) == "postgres"
    assert not accepts_connections(uri)
