"""Where the machine's RabbitMQ is (a module of its own: several conftest.py exist)."""

from __future__ import annotations

import os

BROKER = {
    "host": os.environ.get("WAZO_MANAGE_DB_TEST_BUS_HOST", "127.0.0.1"),
    "port": int(os.environ.get("WAZO_MANAGE_DB_TEST_BUS_PORT", "5672")),
    "username": "guest",
    "password": "guest",
}
