"""The rate limiter's counters: in this process's memory, or in the shared Redis so that every
process counts against one window (with two processes and memory counters, one address would
get twice its limit).

With Redis, a request is never refused because Redis is away: the limiter fails open (the
request is let through, uncounted) and the process's :class:`~gateway.shared_state.Outage`
logs the outage once.
"""

from __future__ import annotations

import time
from typing import Protocol

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.util import WindowStats

from gateway.shared_state import UNAVAILABLE, SharedState


class RateLimiter(Protocol):
    async def count(self, item: RateLimitItem, key: str) -> tuple[bool, WindowStats]:
        """One more request in ``key``'s current window of ``item``: whether it is within
        the limit, and the window's reset time and what remains of it."""
        ...


class WindowCounter:
    """``limits``' fixed window over its ``storage``, counted and read in two storage
    operations (its strategy's ``hit`` and ``get_window_stats`` take three: with Redis, a
    round trip more per request)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def count(self, item: RateLimitItem, key: str) -> tuple[bool, WindowStats]:
        window = item.key_for(key)
        hits = await self._storage.incr(window, item.get_expiry())
        reset = await self._storage.get_expiry(window)
        return hits <= item.amount, WindowStats(reset, max(0, item.amount - hits))


class SharedRateLimiter:
    """A fixed window counted in Redis, failing open while Redis is unavailable."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._outage = shared.outage
        storage = RedisStorage(
            _limits_uri(shared),
            implementation="redispy",
            key_prefix=shared.key("ratelimit"),
            # The process's one pool: rate limiting opens no connections of its own. (limits
            # documents this option but types its options as scalars.)
            connection_pool=shared.redis.connection_pool,  # type: ignore[arg-type]
        )
        self._counter = WindowCounter(storage)

    async def count(self, item: RateLimitItem, key: str) -> tuple[bool, WindowStats]:
        if self._outage.should_try():
            try:
                counted = await self._counter.count(item, key)
            except UNAVAILABLE as error:
                await self._shared.failed(error)
            else:
                self._outage.succeeded()
                return counted
        # Uncounted: let through, with the whole window, as if this were its first request.
        return True, WindowStats(time.time() + item.get_expiry(), item.amount)


def _limits_uri(shared: SharedState) -> str:
    """The storage URI limits wants for the client's own URL (only its scheme matters here:
    the connections come from the pool)."""
    kwargs = shared.redis.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"async+redis+unix://{kwargs['path']}"
    return f"async+redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


def rate_limiter(shared: SharedState | None) -> RateLimiter:
    """Shared counters when there is Redis, else this process's own."""
    if shared is None:
        return WindowCounter(MemoryStorage())
    return SharedRateLimiter(shared)
