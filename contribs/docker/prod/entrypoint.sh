#!/bin/sh
# `setup` (the default) does what the package's postinst does; anything else is passed to
# wazo-manage-db as is (`status`, `upgrade`, `--help`...).
set -e

if [ "${1:-setup}" = "setup" ]; then
    wazo-manage-db init
    exec wazo-manage-db upgrade
fi
exec wazo-manage-db "$@"
