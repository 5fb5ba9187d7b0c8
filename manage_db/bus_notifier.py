"""Telling the platform's software bus: one ``database_upgraded`` event per upgraded component.

The event follows the platform's conventions (as its daemons publish through wazo-bus): a
``name``, the platform's ``origin_uuid``, a ``timestamp`` and ``required_acl``, both as message
headers (what a headers exchange routes on) and in the JSON body, the event's fields under
``data``. AMQP goes through kombu. A broker that is down or refuses is a warning, never an error:
one bounded connection attempt, no retry loop.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manage_db.errors import first_line

EVENT_NAME = "database_upgraded"
ROUTING_KEY = "database.upgraded"
REQUIRED_ACL = "events.database_upgraded"


@dataclass(frozen=True)
class UpgradeEvent:
    """What one component's upgrade did."""

    component: str
    database: str
    from_revisions: tuple[str, ...]
    to_revisions: tuple[str, ...]
    revisions_applied: tuple[str, ...]
    duration: float


def message(event: UpgradeEvent, origin_uuid: str | None, now: datetime.datetime | None = None):
    """(headers, body) of the event, as the platform's daemons shape them."""
    timestamp = (now or datetime.datetime.now(datetime.timezone.utc)).isoformat()
    headers = {
        "name": EVENT_NAME,
        "origin_uuid": origin_uuid,
        "timestamp": timestamp,
        "required_acl": REQUIRED_ACL,
        "component": event.component,
    }
    body = {
        "name": EVENT_NAME,
        "origin_uuid": origin_uuid,
        "timestamp": timestamp,
        "required_acl": REQUIRED_ACL,
        "data": {
            "component": event.component,
            "database": event.database,
            "from_revisions": list(event.from_revisions),
            "to_revisions": list(event.to_revisions),
            "revisions_applied": list(event.revisions_applied),
            "duration": round(event.duration, 3),
        },
    }
    return headers, body


def publish(
    bus: Mapping[str, Any], events: Sequence[UpgradeEvent], origin_uuid: str | None
) -> str | None:
    """Publish every event over one connection; a warning's text when the bus could not be told."""
    if not events:
        return None
    try:
        import kombu
    except ImportError:
        return "kombu is not installed (python3-kombu or pip install kombu): no bus event sent"
    where = f"{bus['host']}:{bus['port']}"
    timeout = float(bus.get("connect_timeout") or 3.0)
    connection = kombu.Connection(
        hostname=bus["host"],
        port=int(bus["port"]),
        userid=bus["username"],
        password=bus["password"],
        connect_timeout=timeout,
        transport_options={"max_retries": 0},
    )
    try:
        connection.ensure_connection(max_retries=0)  # one attempt: never a retry loop
        exchange = kombu.Exchange(bus["exchange_name"], type=bus["exchange_type"], durable=True)
        producer = connection.Producer()
        for event in events:
            headers, body = message(event, origin_uuid)
            producer.publish(
                body,
                exchange=exchange,
                routing_key=ROUTING_KEY,
                headers=headers,
                serializer="json",
                declare=[exchange],
                retry=False,
                timeout=timeout,
            )
    except Exception as error:  # any broker or network failure must not fail the upgrade
        return f"cannot publish {EVENT_NAME} on the bus at {where}: {first_line(error)}"
    finally:
        connection.release()
    return None
