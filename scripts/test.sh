#!/usr/bin/env bash
# The whole test suite, on both stacks, from a fresh Debian 12 machine (run as root, or as a
# user with sudo for apt). Installs what it needs: Debian's packages, a venv with PyPI's stack.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n=== %s\n' "$*"; }

step "Debian packages (the Debian 12 stack, PostgreSQL, packaging tools)"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    python3 python3-venv python3-pip python3-alembic python3-sqlalchemy python3-psycopg2 \
    python3-click python3-yaml python3-pglast python3-stevedore \
    python3-pytest python3-setuptools python3-all dh-python debhelper devscripts lintian \
    python3-kombu rabbitmq-server fakeroot build-essential postgresql postgresql-client >/dev/null

step "PostgreSQL server"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 40); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.25; done
fi
pg_isready -h 127.0.0.1 -p 5432

step "RabbitMQ (the bus tests publish to it: 127.0.0.1:5672, guest/guest)"
if ! $SUDO rabbitmqctl -q status >/dev/null 2>&1; then
    $SUDO service rabbitmq-server start >/dev/null
    $SUDO timeout 90 rabbitmqctl -q await_startup
fi
$SUDO rabbitmqctl -q status >/dev/null && echo "rabbitmq: up"

step "PyPI stack venv (.venv)"
python3 -m venv .venv
.venv/bin/pip install -q -U pip
.venv/bin/pip install -q -r requirements.txt -r test-requirements.txt
.venv/bin/pip install -q --no-deps -e .

step "Debian stack venv (.venv-debian: Debian's packages, this project installed in place)"
/usr/bin/python3 -m venv --system-site-packages .venv-debian
.venv-debian/bin/python -m pip install -q --no-deps --no-build-isolation -e .
.venv-debian/bin/python scripts/check_stack.py requirements-debian.txt

step "Style: ruff, mypy"
.venv/bin/ruff check manage_db tests bench alembic
.venv/bin/ruff format --check manage_db tests bench alembic
.venv/bin/mypy manage_db

step "Lint and verify the platform tree with the tool itself"
.venv/bin/wazo-manage-db --log-file /dev/null -u root lint --strict alembic
.venv/bin/wazo-manage-db --log-file /dev/null -u root verify --component asterisk \
    --admin-uri postgresql://postgres@127.0.0.1:5432/postgres

step "sdist and wheel: build, install the wheel alone into a fresh venv, run the platform tree"
bash scripts/check_wheel.sh .venv/bin/python

step "The container image: podman build, entrypoint run with buildah (scripts/check_image.sh)"
timeout 1800 bash scripts/check_image.sh

step "Tests on PyPI's stack"
.venv/bin/python -m pytest -p no:cacheprovider -m "not packaging" tests

step "Tests on Debian 12's stack, and the Debian package"
.venv-debian/bin/python -m pytest -p no:cacheprovider tests
