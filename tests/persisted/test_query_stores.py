"""Where persisted queries are kept: this process's LRU, bounded in bytes, or Redis, shared
by every process and surviving an outage of Redis."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.persisted import MemoryQueryStore
from gateway.settings import Settings
from gateway.shared_state import RETRY_SECONDS
from tests.live import free_port, serve
from tests.persisted.support import (
    NOT_FOUND,
    live_client,
    persisted,
    unique,
)
from tests.scale.replicas import private_redis

REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_the_memory_store_drops_the_least_recently_used_queries_past_its_bytes() -> None:
    store = MemoryQueryStore(max_bytes=30)
    await store.put("a", "a" * 10)
    await store.put("b", "b" * 10)
    await store.put("c", "c" * 10)
    assert await store.get("a") == "a" * 10  # now the most recently used
    await store.put("d", "d" * 10)  # 40 bytes would be too many: "b" goes
    assert await store.get("b") is None
    assert [await store.get(k) for k in "acd"] == ["a" * 10, "c" * 10, "d" * 10]
    await store.put("huge", "x" * 31)  # larger than the whole store: not kept, nothing lost
    assert await store.get("huge") is None
    assert await store.get("a") == "a" * 10


async def test_the_memory_store_of_a_live_gateway_forgets_what_does_not_fit(
    settings: Settings,
) -> None:
    first, second = unique("{ species { name } }"), unique("{ species { id } }")
    settings = replace(settings, persisted_query_cache_bytes=len(first) + 10)
    async with live_client(settings) as client:
        for query in (first, second):
            body = {"query": query, "extensions": persisted(query)}
            assert (await client.post("/graphql", json=body)).status_code == 200
        forgotten = await client.post("/graphql", json={"extensions": persisted(first)})
        assert forgotten.json()["errors"] == [NOT_FOUND]
        kept = await client.post("/graphql", json={"extensions": persisted(second)})
        assert kept.json() == {"data": {"species": []}}


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The machine's Redis, shared with other tests: each query here is unique (its keys
    collide with nobody's) and expires within minutes if a test stops before deleting it."""
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def test_a_query_registered_through_one_gateway_runs_by_hash_on_another(
    settings: Settings, redis: Redis
) -> None:
    query = unique("{ species { name } }")
    settings = replace(settings, redis_url=REDIS_URL, persisted_query_ttl_seconds=600)
    with serve(create_app(settings)) as one, serve(create_app(settings)) as other:
        async with httpx.AsyncClient() as client:
            missing = await client.post(other + "/graphql", json={"extensions": persisted(query)})
            assert missing.json()["errors"] == [NOT_FOUND]
            body = {"query": query, "extensions": persisted(query)}
            assert (await client.post(one + "/graphql", json=body)).status_code == 200
            by_hash = await client.post(other + "/graphql", json={"extensions": persisted(query)})
            assert by_hash.json() == {"data": {"species": []}}
    key = f"{settings.redis_prefix}:apq:{hashlib.sha256(query.encode()).hexdigest()}"
    assert (await redis.get(key)).decode() == query
    assert 0 < await redis.ttl(key) <= 600  # bounded: it expires unless used
    await redis.delete(key)


async def test_persisted_queries_survive_a_redis_outage_and_come_back_with_it(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="neurogate")
    query = unique("{ species { name } }")
    register = {"query": query, "extensions": persisted(query)}
    by_hash = {"extensions": persisted(query)}
    with private_redis(tmp_path) as redis_server:
        settings = replace(settings, redis_url=redis_server.url)
        async with live_client(settings) as client:
            assert (await client.post("/graphql", json=register)).status_code == 200
            assert (await client.post("/graphql", json=by_hash)).status_code == 200
            redis_server.stop()
            # Redis is gone (its data too: it kept nothing on disk): queries still run.
            for _ in range(3):
                assert (await client.post("/graphql", json=register)).json() == {
                    "data": {"species": []}
                }
                answer = await client.post("/graphql", json=by_hash)
                assert answer.json()["errors"] == [NOT_FOUND]
            redis_server.start()
            # Back without a restart, once the process tries Redis again: the next
            # registration is stored and used again.
            await asyncio.sleep(RETRY_SECONDS + 0.1)
            assert (await client.post("/graphql", json=register)).status_code == 200
            answer = await client.post("/graphql", json=by_hash)
            assert answer.json() == {"data": {"species": []}}
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Redis is unreachable" in m for m in messages) == 1  # once, not per request
    assert sum("Redis is reachable again" in m for m in messages) == 1


async def test_without_redis_queries_still_run_and_hashes_are_unknown(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    query = unique("{ species { name } }")
    settings = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with live_client(settings) as client:
        for _ in range(3):
            body = {"query": query, "extensions": persisted(query)}
            assert (await client.post("/graphql", json=body)).json() == {
                "data": {"species": []}
            }
            by_hash = await client.post("/graphql", json={"extensions": persisted(query)})
            assert by_hash.json()["errors"] == [NOT_FOUND]
    outages = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(outages) == 1  # once per outage, not per request


async def test_a_redis_that_never_answers_holds_no_request_past_its_timeout(
    settings: Settings,
) -> None:
    query = unique("{ species { name } }")
    with socket.socket() as silent:  # accepts connections (the kernel does), answers nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = replace(settings, redis_url=f"redis://127.0.0.1:{port}/0")
        async with live_client(settings) as client:
            started = time.monotonic()
            by_hash = {"extensions": persisted(query)}
            missing = await client.post("/graphql", json=by_hash, timeout=30)
            assert missing.json()["errors"] == [NOT_FOUND]
            body = {"query": query, "extensions": persisted(query)}
            ran = await client.post("/graphql", json=body, timeout=30)
            assert ran.json() == {"data": {"species": []}}
            assert time.monotonic() - started < 10  # each lookup gives up after a second
