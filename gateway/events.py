"""Publish/subscribe of domain events, behind one small interface.

Within one process an in-memory broker is enough. With several processes, :class:`RedisBroker`
publishes through Redis pub/sub, so that an event published in one process reaches the
subscribers of every process; publishers and subscribers don't know which broker they have.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from gateway.shared_state import RETRY_SECONDS, UNAVAILABLE, SharedState

# Subscribers that fall this far behind lose the oldest events rather than grow without end.
MAX_PENDING_EVENTS = 1000
# How long the listener waits for a message before it looks at its connection again.
LISTEN_SECONDS = 5.0
log = logging.getLogger("neurogate.events")


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


class RedisBroker:
    """Events through Redis pub/sub: published to the topic's channel, heard by one
    subscription per process (a pattern over every topic of this deployment) that hands them
    to the process's in-memory fan-out. A process's own events come back the same way, so
    every subscriber sees one order.

    While Redis is away an event still reaches this process's subscribers (the others miss
    it); the listener reconnects by itself when Redis returns. Run :meth:`listen` for as long
    as the broker serves (the app's lifespan does)."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._local = InMemoryBroker()

    async def publish(self, event: Event) -> None:
        if self._shared.outage.should_try():
            channel = self._shared.key("events", event.topic)
            try:
                await self._shared.redis.publish(channel, orjson.dumps(event.payload))
            except UNAVAILABLE as error:
                await self._shared.failed(error)
            else:
                self._shared.outage.succeeded()
                return
        await self._local.publish(event)

    def subscribe(self, topic: str) -> Any:
        return self._local.subscribe(topic)

    async def listen(self) -> None:
        """Hand every event published by any process to this process's subscribers."""
        while True:
            try:
                async with self._shared.redis.pubsub() as pubsub:
                    await pubsub.psubscribe(self._shared.key("events", "*"))
                    while True:
                        message = await pubsub.get_message(timeout=LISTEN_SECONDS)
                        if message is None:
                            continue
                        if message["type"] == "psubscribe":  # Redis's answer: it is back
                            self._shared.outage.succeeded()
                        elif message["type"] == "pmessage":
                            await self._deliver(message["channel"], message["data"])
            except UNAVAILABLE as error:
                await self._shared.failed(error)
                await asyncio.sleep(RETRY_SECONDS)

    async def _deliver(self, channel: bytes, data: bytes) -> None:
        topic = channel.decode().removeprefix(self._shared.key("events", ""))
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            # Not one of ours: something else published on this deployment's channels.
            log.warning("dropped a message on %s that is not an event", channel.decode())
            return
        await self._local.publish(Event(topic, payload))


def event_broker(shared: SharedState | None) -> EventBroker:
    """Through Redis when there is one (every process hears every event), else in memory."""
    return InMemoryBroker() if shared is None else RedisBroker(shared)


@asynccontextmanager
async def listening(broker: EventBroker) -> AsyncIterator[None]:
    """Keep ``broker`` listening (when it is one that listens) while the block runs."""
    if not isinstance(broker, RedisBroker):
        yield
        return
    task = asyncio.create_task(broker.listen())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
