#!/usr/bin/env bash
# The production image in CI: build the Dockerfile with podman and run its entrypoint with
# buildah against this machine's PostgreSQL (127.0.0.1:5432, superuser postgres, trust):
# init, upgrade, status, then every table of the platform database owned by the owner role.
#
# The base image (Debian 12, what the Dockerfile's FROM names) is made here, not pulled:
# `debootstrap --variant=minbase bookworm` then `podman import`, its tarball cached under
# $CACHE (default /var/cache/wazo-manage-db-ci) between runs on the same machine; podman's own
# layer cache keeps the unchanged steps of the build. Each step is bounded with `timeout`.
# Needs root (or sudo). The role and database it makes are unique and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

CACHE=${WAZO_MANAGE_DB_CI_CACHE:-/var/cache/wazo-manage-db-ci}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE=localhost/wazo-manage-db-ci-base:bookworm
IMAGE=localhost/wazo-manage-db:ci
PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
export PGHOST PGPORT PGUSER
SUFFIX="$(date +%s)_$$"
ROLE="ci_image_${SUFFIX}"
DATABASE="ci_image_${SUFFIX}"
CONTAINER=""

step() { printf '\n--- image: %s (%ss)\n' "$*" "$SECONDS"; }
psql_admin() { timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

cleanup() {
    [ -n "$CONTAINER" ] && timeout 60 $SUDO buildah rm "$CONTAINER" >/dev/null 2>&1 || true
    psql_admin -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null 2>&1 || true
    psql_admin -c "DROP ROLE IF EXISTS \"$ROLE\"" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "tools (podman, buildah, debootstrap)"
if ! command -v podman >/dev/null || ! command -v buildah >/dev/null \
        || ! command -v debootstrap >/dev/null; then
    timeout 300 $SUDO apt-get update -qq
    timeout 600 $SUDO apt-get install -y -qq --no-install-recommends \
        podman buildah debootstrap >/dev/null
fi

step "base image $BASE"
if ! timeout 60 $SUDO podman image exists "$BASE"; then
    tarball="$CACHE/bookworm-minbase.tar"
    if [ ! -s "$tarball" ]; then
        $SUDO mkdir -p "$CACHE"
        rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
        timeout 1200 $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >/dev/null
        $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        timeout 300 $SUDO tar -C "$rootfs" -cf "$tarball.part" .
        $SUDO mv "$tarball.part" "$tarball"
        $SUDO rm -rf "$rootfs"
    fi
    timeout 300 $SUDO podman import --change 'CMD ["/bin/bash"]' "$tarball" "$BASE" >/dev/null
fi

step "podman build"
timeout 1200 $SUDO podman build --isolation=chroot --network host --pull=never \
    --build-arg "BASE_IMAGE=$BASE" -t "$IMAGE" -f Dockerfile . >/dev/null

step "container (buildah, chroot isolation, host network)"
CONTAINER="$(timeout 120 $SUDO buildah from --pull=never "$IMAGE")"
conf="$(mktemp)"
cat >"$conf" <<EOF
# CI: this machine's PostgreSQL, a role and database of this run only (sorts before 50-docker).
db_uri: postgresql://${ROLE}:ci-secret@127.0.0.1:5432/${DATABASE}
admin_uri: postgresql://postgres@127.0.0.1:5432/postgres
EOF
timeout 60 $SUDO buildah copy --chmod 0644 "$CONTAINER" "$conf" /etc/wazo-manage-db/conf.d/10-ci.yml \
    >/dev/null
rm -f "$conf"
run_entrypoint() {
    timeout 300 $SUDO buildah run --isolation chroot --network host "$CONTAINER" -- \
        /usr/local/bin/wazo-manage-db-entrypoint "$@"
}

step "entrypoint: setup (init + upgrade)"
run_entrypoint setup
step "entrypoint: upgrade again (nothing to do)"
run_entrypoint upgrade
step "entrypoint: status"
run_entrypoint status

step "tables owned by the owner role"
counts="$(psql_admin -At -d "$DATABASE" -c "SELECT count(*), count(*) FILTER (WHERE tableowner <> '$ROLE') FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
total="${counts%|*}" foreign="${counts#*|}"
if [ "$total" -eq 0 ] || [ "$foreign" -ne 0 ]; then
    echo "image check failed: $total table(s) in $DATABASE, $foreign not owned by $ROLE" >&2
    exit 1
fi
step "done: $total tables, all owned by $ROLE"
