"""Whether this process can serve now: its database answers, and Redis when one is configured.
A load balancer asks ``/readyz`` and stops sending requests to a replica that is not ready;
``/healthz`` only says the process is alive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# A probe that takes longer than this counts as a failure: the balancer is waiting.
PROBE_SECONDS = 2.0
OK = "ok"
UNAVAILABLE = "unavailable"


def connect_redis(url: str | None) -> Redis | None:
    """A client for ``url`` (it connects on first use), or None without Redis."""
    if url is None:
        return None
    return Redis.from_url(url, socket_connect_timeout=PROBE_SECONDS, socket_timeout=PROBE_SECONDS)


async def check(engine: AsyncEngine, redis: Redis | None) -> dict[str, str]:
    """Each dependency's state, ``ok`` or ``unavailable``."""
    checks = {"database": await _probe(_select_one(engine))}
    if redis is not None:
        checks["redis"] = await _probe(redis.ping())
    return checks


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _probe(work: Awaitable[object]) -> str:
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            await work
    # Whatever the failure (refused, timed out, authentication, a driver's own error), the
    # dependency cannot serve; what went wrong is for its own logs, not the balancer.
    except Exception:
        return UNAVAILABLE
    return OK
