"""``/readyz`` says whether the database answers, and Redis when one is configured, and follows
them down and back up; ``/healthz`` only says the process is alive."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Gateway
from tests.live import free_port
from tests.scale.replicas import PrivateRedis
from tests.scale.replicas import private_redis as running_redis

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with running_redis(tmp_path) as server:
        yield server


async def test_ready_without_redis_checks_the_database_only(gateway: Gateway) -> None:
    ready = await gateway.client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "checks": {"database": "ok"}},
    )


async def test_ready_checks_the_shared_redis_when_configured(make_gateway: object) -> None:
    gateway: Gateway = await make_gateway(redis_url=SHARED_REDIS)  # type: ignore[operator]
    ready = await gateway.client.get("/readyz")
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_redis_going_away_and_back_is_followed_without_a_restart(
    make_gateway: object, private_redis: PrivateRedis
) -> None:
    gateway: Gateway = await make_gateway(redis_url=private_redis.url)  # type: ignore[operator]
    assert (await gateway.client.get("/readyz")).status_code == 200
    private_redis.stop()
    down = await gateway.client.get("/readyz")
    assert (down.status_code, down.json()) == (
        503,
        {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}},
    )
    assert (await gateway.client.get("/healthz")).status_code == 200  # alive all the same
    private_redis.start()  # the same port
    back = await gateway.client.get("/readyz")
    assert (back.status_code, back.json()["status"]) == (200, "ready")


async def test_a_database_that_does_not_answer_is_not_ready(make_gateway: object) -> None:
    nobody = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    gateway: Gateway = await make_gateway(database_url=nobody)  # type: ignore[operator]
    started = time.monotonic()
    down = await gateway.client.get("/readyz")
    assert (down.status_code, down.json()) == (
        503,
        {"status": "unavailable", "checks": {"database": "unavailable"}},
    )
    assert time.monotonic() - started < 5  # the balancer is not kept waiting
    assert (await gateway.client.get("/healthz")).status_code == 200

