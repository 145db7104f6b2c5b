"""The Redis setting, and the one place that owns the client: ``app.state.shared``."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import redis

from gateway.events import InMemoryBroker, RedisBroker
from gateway.settings import Settings
from tests.conftest import start_gateway
from tests.scale.replicas import REDIS_URL, delete_keys


def test_redis_is_read_from_the_environment_and_off_by_default() -> None:
    assert Settings.from_env({}).redis_url is None
    assert Settings.from_env({}).redis_prefix == "neurogate"
    settings = Settings.from_env(
        {"NEUROGATE_REDIS_URL": "redis://cache:6379/2", "NEUROGATE_REDIS_PREFIX": "lab-a"}
    )
    assert (settings.redis_url, settings.redis_prefix) == ("redis://cache:6379/2", "lab-a")


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"NEUROGATE_REDIS_URL": "cache:6379"}, "NEUROGATE_REDIS_URL must look like redis://"),
        ({"NEUROGATE_REDIS_URL": "http://cache"}, "NEUROGATE_REDIS_URL must look like redis://"),
        ({"NEUROGATE_REDIS_PREFIX": "a b"}, "NEUROGATE_REDIS_PREFIX must be letters"),
        ({"NEUROGATE_REDIS_PREFIX": "lab*"}, "NEUROGATE_REDIS_PREFIX must be letters"),
    ],
)
def test_a_mistaken_redis_setting_is_refused_by_name(env: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Settings.from_env(env)


async def test_without_redis_the_process_keeps_its_state_in_memory(settings: Settings) -> None:
    lifespan, gateway = await start_gateway(settings)
    try:
        assert gateway.app.state.shared is None
        assert isinstance(gateway.app.state.events, InMemoryBroker)
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_with_redis_the_lifespan_opens_one_client_under_the_prefix_and_closes_it(
    settings: Settings,
) -> None:
    prefix = f"ngtest-{uuid.uuid4().hex[:12]}"
    lifespan, gateway = await start_gateway(
        replace(settings, redis_url=REDIS_URL, redis_prefix=prefix)
    )
    try:
        shared = gateway.app.state.shared
        assert isinstance(gateway.app.state.events, RedisBroker)
        assert await shared.ping()
        assert shared.key("pq", "abc") == f"{prefix}:pq:abc"
        assert (await gateway.client.get("/api/categories/")).status_code == 200
        # The request was counted in Redis, under the deployment's prefix.
        assert [k async for k in shared.redis.scan_iter(match=f"{prefix}:ratelimit:*")]
        with redis.Redis.from_url(REDIS_URL) as admin:
            assert [c for c in admin.client_list() if c["name"] == prefix]
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)
        delete_keys(REDIS_URL, prefix)
    # Closed with the lifespan: Redis knows no connection of this deployment any more.
    with redis.Redis.from_url(REDIS_URL) as admin:
        assert [c for c in admin.client_list() if c["name"] == prefix] == []
