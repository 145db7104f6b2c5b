"""Redis going away costs the shared state, never the service: two replicas on a private
redis-server keep answering while it is stopped (rate limits fail open), each logs the outage
once however many requests it serves, and both go back to shared counters and shared events
by themselves when it is started again."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.shared_state import RETRY_SECONDS
from tests.approvals.test_approval_events import next_event, subscriber
from tests.approvals.test_stock_clients import propose_until_heard
from tests.scale.replicas import Replica, private_redis, replicas
from tests.scale.test_replicas import _token

LIMIT = 6
UNREACHABLE = "Redis is unreachable"
BACK = "Redis is reachable again"


async def _statuses(client: httpx.AsyncClient, pair: tuple[Replica, Replica], n: int) -> list[int]:
    statuses = []
    for i in range(n):
        response = await client.get(pair[i % 2].base_url + "/api/categories/")
        statuses.append(response.status_code)
    return statuses


async def test_replicas_serve_through_a_redis_outage_log_it_once_and_recover_by_themselves(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    rita = await _token(sessionmaker, "rita", is_reviewer=True)
    alice = await _token(sessionmaker, "alice")
    limited = {"NEUROGATE_RATE_LIMIT_ANONYMOUS": f"{LIMIT}/minute"}
    with (
        private_redis(tmp_path) as redis_server,
        replicas(2, tmp_path, database_url, redis_server.url, **limited) as (a, b),
    ):
        async with httpx.AsyncClient() as client:
            assert await _statuses(client, (a, b), 3) == [200] * 3

            redis_server.stop()
            started = time.monotonic()
            during = await _statuses(client, (a, b), 4 * LIMIT)
            elapsed = time.monotonic() - started
            # Failing open: past the limit, yet every request is served, and none waits for
            # Redis (at most one attempt per replica per RETRY_SECONDS).
            assert during == [200] * (4 * LIMIT)
            assert elapsed < 4 * LIMIT * 0.5
            for replica in (a, b):
                assert replica.log().count(UNREACHABLE) == 1, replica.log()
                assert BACK not in replica.log()

            redis_server.start()  # empty: no persistence, so the window starts again
            await asyncio.sleep(RETRY_SECONDS + 0.5)
            after = await _statuses(client, (a, b), LIMIT + 2)
            assert after == [200] * LIMIT + [429] * 2, (after, a.log(), b.log())

        # The subscription listener reconnected too: events cross replicas again.
        async with subscriber(b.ws_url, rita) as on_b:
            hearing = asyncio.create_task(next_event(on_b))
            heard = await propose_until_heard(a.base_url, alice, hearing)
        assert heard["kind"] == "PROPOSED"
        for replica in (a, b):
            log = replica.log()
            assert log.count(UNREACHABLE) == 1, log
            assert log.count(BACK) == 1, log
            assert log.index(UNREACHABLE) < log.index(BACK)
