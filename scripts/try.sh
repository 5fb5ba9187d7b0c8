#!/usr/bin/env bash
# Try wazo-manage-db on a throwaway PostgreSQL, from a fresh Debian 12 machine (as root, or as a
# user with sudo for apt): installs the server binaries and a venv, then runs `sandbox`, which
# starts a cluster in a temp directory, runs init + upgrade + status of the platform tree on it,
# prints the result and removes it. Extra arguments go to `sandbox` (e.g. --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql python3-venv >/dev/null
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt -e .
exec .venv/bin/wazo-manage-db --log-file "${TMPDIR:-/tmp}/wazo-manage-db-sandbox.log" sandbox "$@"
