"""What several gateway processes share: one Redis (``NEUROGATE_REDIS_URL``).

The app's lifespan opens one :class:`SharedState` per process (:func:`open_shared_state`) and
keeps it in ``app.state.shared`` (``None`` without Redis: then this process is the only one and
keeps everything in memory). Whatever must be shared takes its client and its keys from there:
rate-limit counters, subscription events, persisted queries. Keys and channels all start with
``NEUROGATE_REDIS_PREFIX`` (:meth:`SharedState.key`).

Redis may go away and come back. Whoever uses it reports each outcome to the one
:class:`Outage` of the process, which logs an outage once when it starts and once when it ends
(never once per request), and tells callers to leave Redis alone for a moment after a failure,
so that requests served meanwhile don't each wait for a connection attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.settings import Settings

log = logging.getLogger("neurogate.redis")

# A Redis that answers nothing must not hold a request for long: a command waits this long at
# most, and is retried once only, on a new connection (a pooled one may have been cut by a
# Redis restart; past that the caller fails open).
COMMAND_TIMEOUT_SECONDS = 1.0
# After a failure, Redis is tried again at most this often (each process); meanwhile callers
# fail open at once.
RETRY_SECONDS = 1.0
# What a lost, refused or timed-out Redis raises (OSError: a socket error redis-py let through).
UNAVAILABLE: tuple[type[Exception], ...] = (RedisError, OSError)


@dataclass
class Outage:
    """Whether Redis is failing, as its users last saw it; logs each change of state once."""

    since: float | None = None
    retry_at: float = 0.0

    def should_try(self) -> bool:
        """False for a moment after a failure: fail open without waiting for Redis."""
        return self.since is None or time.monotonic() >= self.retry_at

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self.retry_at = now + RETRY_SECONDS
        if self.since is None:
            self.since = now
            log.warning(
                "Redis is unreachable (%s: %s): rate limits are not enforced and events reach "
                "this process's subscribers only, until it returns",
                type(error).__name__,
                error,
            )

    def succeeded(self) -> None:
        if self.since is not None:
            log.warning(
                "Redis is reachable again after %.1fs; shared state is back in use",
                time.monotonic() - self.since,
            )
            self.since = None


@dataclass
class SharedState:
    """One process's Redis client (one connection pool), its key prefix and its outage."""

    redis: Redis
    prefix: str
    outage: Outage = field(default_factory=Outage)

    def key(self, *parts: str) -> str:
        """A key or channel name of this deployment: ``<prefix>:<part>:<part>…``."""
        return ":".join((self.prefix, *parts))

    async def failed(self, error: BaseException) -> None:
        """Report a failed command: the outage is noted, and the idle pooled connections
        dropped (a Redis that restarted has cut them all; the next command opens a fresh one).
        Those in use (the event listener's) fail, and are replaced, by themselves."""
        self.outage.failed(error)
        await self.redis.connection_pool.disconnect(inuse_connections=False)

    async def ping(self) -> bool:
        """Whether Redis answers now (for /readyz); the outcome is reported like any other."""
        try:
            await self.redis.ping()
        except UNAVAILABLE as error:
            await self.failed(error)
            return False
        self.outage.succeeded()
        return True


def redis_client(url: str, name: str) -> Redis:
    return Redis.from_url(
        url,
        client_name=name,  # CLIENT LIST tells which deployment a connection is
        socket_connect_timeout=COMMAND_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,  # a pooled connection idle this long is checked before use
    )


@asynccontextmanager
async def open_shared_state(settings: Settings) -> AsyncIterator[SharedState | None]:
    """The process's shared state for as long as the block runs; ``None`` without Redis.

    Redis need not be up at start-up: the gateway serves meanwhile (see :class:`Outage`)."""
    if settings.redis_url is None:
        yield None
        return
    shared = SharedState(
        redis_client(settings.redis_url, settings.redis_prefix), settings.redis_prefix
    )
    await shared.ping()
    try:
        yield shared
    finally:
        await shared.redis.aclose()
