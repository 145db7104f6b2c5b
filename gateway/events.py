"""Publish/subscribe of domain events, behind one small interface.

Within one process an in-memory broker is enough; a shared broker (Redis pub/sub) can replace
it for several workers without touching publishers or subscribers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

# Subscribers that fall this far behind lose the oldest events rather than grow without end.
MAX_PENDING_EVENTS = 1000


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    payload: dict[str, Any]


class EventBroker(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, topic: str) -> Any:
        """An async context manager yielding an async iterator of the topic's events."""
        ...


@dataclass
class InMemoryBroker:
    """Fans each event out to every subscriber of its topic in this process."""

    _queues: dict[str, set[asyncio.Queue[Event]]] = field(default_factory=dict)

    async def publish(self, event: Event) -> None:
        for queue in list(self._queues.get(event.topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=MAX_PENDING_EVENTS)
        self._queues.setdefault(topic, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            self._queues[topic].discard(queue)


async def _drain(queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    while True:
        yield await queue.get()
