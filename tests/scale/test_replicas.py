"""Two real ``neurogate serve`` processes over one database and one Redis behave as one: one
rate-limit window, one revocation, one stream of events. Without Redis, several workers are
refused."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import User, table
from gateway.db.models._base import utcnow
from tests.approvals.test_approval_events import next_event, subscriber
from tests.approvals.test_stock_clients import propose_until_heard
from tests.approvals.test_subscription_credentials import LOGOUT, _until_closed
from tests.auth.support import ME, make_user, personal_token
from tests.scale.replicas import (
    NEUROGATE,
    REDIS_URL,
    base_environment,
    deployment,
    free_port,
    replicas,
    serving,
)

LIMIT = 10


async def _token(sessionmaker: async_sessionmaker[AsyncSession], name: str, **flags: Any) -> str:
    user_id = await make_user(sessionmaker, f"{name}@lab.org", **flags)
    return await personal_token(sessionmaker, user_id, now=utcnow())


async def _me(base_url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )


async def test_requests_to_both_replicas_count_against_one_rate_limit(
    database_url: str, tmp_path: Path
) -> None:
    with replicas(
        2, tmp_path, database_url, REDIS_URL, NEUROGATE_RATE_LIMIT_ANONYMOUS=f"{LIMIT}/minute"
    ) as (a, b):
        statuses = []
        remaining = []
        async with httpx.AsyncClient() as client:
            for i in range(LIMIT + 4):  # alternately: neither replica alone reaches the limit
                replica = (a, b)[i % 2]
                response = await client.get(replica.base_url + "/api/categories/")
                statuses.append(response.status_code)
                remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert statuses == [200] * LIMIT + [429] * 4
    assert remaining == [*range(LIMIT - 1, -1, -1), 0, 0, 0, 0]


async def test_a_token_revoked_through_one_replica_is_refused_by_the_other_at_once(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _token(sessionmaker, "alice")
    with replicas(2, tmp_path, database_url, REDIS_URL) as (a, b):
        assert (await _me(b.base_url, token)).json()["data"]["me"]["email"] == "alice@lab.org"
        async with httpx.AsyncClient(base_url=a.base_url) as client:
            logout = await client.post(
                "/graphql", json={"query": LOGOUT}, headers={"Authorization": f"Bearer {token}"}
            )
        assert "errors" not in logout.json(), logout.json()
        # The very next request, on the other replica: no process holds a copy of the token.
        assert (await _me(b.base_url, token)).status_code == 401
        assert (await _me(a.base_url, token)).status_code == 401


async def test_a_user_deactivated_is_refused_by_every_replica_at_once(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _token(sessionmaker, "bob")
    users = table(User)
    with replicas(2, tmp_path, database_url, REDIS_URL) as (a, b):
        for replica in (a, b):
            assert (await _me(replica.base_url, token)).status_code == 200
        async with sessionmaker() as session:  # as an administrator does, in the database
            await session.execute(
                update(users).where(users.c.email == "bob@lab.org").values(is_active=False)
            )
            await session.commit()
        for replica in (a, b):
            assert (await _me(replica.base_url, token)).status_code == 401


async def test_a_subscription_on_one_replica_closes_at_once_when_its_token_is_revoked_on_another(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    rita = await _token(sessionmaker, "rita", is_reviewer=True)
    # Periodic re-checks too rare to matter: only the revocation published through Redis can
    # close the socket within the test's few seconds.
    rare = {"NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS": "600"}
    with replicas(2, tmp_path, database_url, REDIS_URL, **rare) as (a, b):
        async with subscriber(b.ws_url, rita) as ws, httpx.AsyncClient(base_url=a.base_url) as c:
            await asyncio.sleep(0.5)  # the subscribe message is not acknowledged
            revoked = await c.post(
                "/graphql", json={"query": LOGOUT}, headers={"Authorization": f"Bearer {rita}"}
            )
            assert "errors" not in revoked.json(), revoked.json()
            started = time.monotonic()
            messages, code = await _until_closed(ws, timeout=10)
    assert code == 4403
    assert time.monotonic() - started < 5
    assert [m for m in messages if m["type"] == "next"] == []


async def test_an_event_published_through_one_replica_reaches_subscribers_of_the_other(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    rita = await _token(sessionmaker, "rita", is_reviewer=True)
    alice = await _token(sessionmaker, "alice")
    with replicas(2, tmp_path, database_url, REDIS_URL) as (a, b):
        async with subscriber(b.ws_url, rita) as on_b, subscriber(a.ws_url, rita) as on_a:
            hearing = asyncio.create_task(next_event(on_b))
            heard = await propose_until_heard(a.base_url, alice, hearing)
            # The publishing replica's own subscribers hear it too, once.
            same = await asyncio.wait_for(next_event(on_a), 10)
    assert heard["kind"] == "PROPOSED"
    assert heard["approval"]["submitter"]["username"] == "alice"
    assert heard["approval"]["proposed"]["name"].startswith("Axolotl")
    assert same == heard


def test_several_workers_without_redis_are_refused_with_what_to_do(database_url: str) -> None:
    port = free_port()
    env = base_environment(NEUROGATE_DATABASE_URL=database_url)
    done = subprocess.run(
        [NEUROGATE, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--workers 2 needs Redis: set NEUROGATE_REDIS_URL" in done.stderr
    with httpx.Client() as client:
        try:
            client.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError("something is serving on the refused port")
        except httpx.ConnectError:
            pass


async def test_several_workers_with_redis_share_one_rate_limit(
    database_url: str, tmp_path: Path
) -> None:
    statuses = []
    limited = {"NEUROGATE_RATE_LIMIT_ANONYMOUS": f"{LIMIT}/minute"}
    with (
        deployment(database_url, REDIS_URL, **limited) as env,
        serving("workers", tmp_path, env, "--workers", "2") as gateway,
    ):
        for _ in range(LIMIT * 2):
            # A new connection each time, so the kernel hands requests to both workers.
            async with httpx.AsyncClient(base_url=gateway.base_url) as client:
                statuses.append((await client.get("/api/categories/")).status_code)
    assert statuses.count(200) == LIMIT
    assert statuses[LIMIT:] == [429] * LIMIT

