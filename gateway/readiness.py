"""Whether this process can serve now: its database answers, and Redis when one is configured.
A load balancer asks ``/readyz`` and stops sending requests to a replica that is not ready;
``/healthz`` only says the process is alive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.shared_state import SharedState

# A probe that takes longer than this counts as a failure: the balancer is waiting.
PROBE_SECONDS = 2.0
OK = "ok"
UNAVAILABLE = "unavailable"


async def check(engine: AsyncEngine, shared: SharedState | None) -> dict[str, str]:
    """Each dependency's state, ``ok`` or ``unavailable``."""
    checks = {"database": await _probe(_select_one(engine))}
    if shared is not None:
        checks["redis"] = OK if await shared.ping() else UNAVAILABLE
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
