#!/usr/bin/env bash
# Build the sdist and the wheel (python -m build), install the wheel into a fresh venv with
# nothing else, and run --help, init, upgrade and status of the platform tree with it against
# the machine's server (own throwaway role and database, dropped at the end).
# Usage: scripts/check_wheel.sh [PYTHON]   (PYTHON: the one with `build`, default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-.venv/bin/python}
ADMIN_URI=${ADMIN_URI:-postgresql://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d /tmp/wazo-manage-db-wheel-XXXXXX)
name="t_wheel_$(date +%s)_$$"
cleanup() {
    psql -q -X "$ADMIN_URI" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
        -c "DROP ROLE IF EXISTS $name" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$PYTHON" -m build --sdist --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }
ls "$work"/dist/wazo_manage_db-*.tar.gz "$work"/dist/wazo_manage_db-*.whl
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$work"/dist/wazo_manage_db-*.whl

cat >"$work/config.yml" <<YAML
log_file: $work/tool.log
plugins: false
db_uri: postgresql://$name:wheel-check@127.0.0.1:5432/$name
admin_uri: $ADMIN_URI
YAML
tool() { (cd "$work" && "$work/venv/bin/wazo-manage-db" -u root -c "$work/config.yml" "$@"); }
tool --help >/dev/null
tool init
tool upgrade
tool status
echo "wheel: --help, init, upgrade, status of the platform tree OK"
