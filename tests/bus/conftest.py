"""A consumer on the machine's RabbitMQ, bound to an exchange of the test's own."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plan"))

from bus_broker import BROKER  # noqa: E402


class Consumer:
    """Receives what is published on a headers exchange with header name=database_upgraded."""

    def __init__(self, exchange_name: str):
        import kombu

        self.exchange_name = exchange_name
        self.connection = kombu.Connection(
            hostname=BROKER["host"],
            port=BROKER["port"],
            userid=BROKER["username"],
            password=BROKER["password"],
            connect_timeout=3,
        )
        self.exchange = kombu.Exchange(exchange_name, type="headers", durable=True)
        self.queue = kombu.Queue(
            f"{exchange_name}-consumer",
            exchange=self.exchange,
            binding_arguments={"x-match": "all", "name": "database_upgraded"},
            exclusive=True,
            auto_delete=True,
        )
        self.channel = self.connection.channel()
        self.queue(self.channel).declare()

    def received(self) -> list[tuple[dict, dict]]:
        """(headers, body) of every message waiting in the queue."""
        import json

        messages = []
        bound = self.queue(self.channel)
        while (message := bound.get(no_ack=True)) is not None:
            messages.append((dict(message.headers), json.loads(message.body)))
        return messages

    def close(self) -> None:
        self.exchange(self.channel).delete()
        self.connection.release()


@pytest.fixture
def consumer() -> Iterator[Consumer]:
    """A consumer bound to a unique exchange, deleted afterwards."""
    pytest.importorskip("kombu")
    found = Consumer(f"wazo-manage-db-test-{uuid.uuid4().hex[:10]}")
    yield found
    found.close()
