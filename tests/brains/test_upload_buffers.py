"""The uploads in flight share one budget of buffers per process: however many arrive at once,
they never hold more than it, each waits only for its first buffer (in turn), and every
buffer comes back however the upload ends (finished, aborted, cancelled while waiting)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import Settings
from gateway.staging import BATCHES, CHUNK_BYTES, BufferBudget, Writer
from gateway.storage import Storage
from tests.auth.support import bearer
from tests.brains.support import PREFLIGHT, UPLOAD_FILE, multipart, people, post_multipart
from tests.conftest import Gateway
from tests.shell.test_metrics import Samples, scrape, value

PIECE = 1 << 20


class _Watch:
    """The most buffers the budget had out at once, sampled at every turn of the loop."""

    def __init__(self, budget: BufferBudget):
        self.budget = budget
        self.most = 0
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.most = max(self.most, self.budget.in_use)
            await asyncio.sleep(0)

    def stop(self) -> int:
        self._task.cancel()
        return self.most


async def _upload(writer: Writer, content: bytes) -> str:
    try:
        for start in range(0, len(content), PIECE):
            await writer.write(content[start : start + PIECE])
        return (await writer.finish()).sha256
    except BaseException:
        writer.abort()
        raise


async def _pending(awaitable: Awaitable[Any]) -> asyncio.Task[Any]:
    """``awaitable`` as a task that has run as far as it can without help."""
    task = asyncio.ensure_future(awaitable)
    for _ in range(50):
        await asyncio.sleep(0)
    return task


async def test_uploads_at_once_share_the_budget_and_all_complete(tmp_path: Path) -> None:
    budget = BufferBudget(2)
    storage = Storage(tmp_path, max_bytes=64 * CHUNK_BYTES, buffers=budget)
    contents = [os.urandom(5 * CHUNK_BYTES + 12345) for _ in range(4)]
    watch = _Watch(budget)

    digests = await asyncio.gather(*(_upload(storage.writer(), c) for c in contents))

    assert watch.stop() == 2  # used to the full, never past it
    assert digests == [hashlib.sha256(c).hexdigest() for c in contents]
    assert budget.in_use == 0


async def test_one_upload_alone_takes_its_three_buffers(tmp_path: Path) -> None:
    budget = BufferBudget(10)
    watch = _Watch(budget)
    writer = Storage(tmp_path, max_bytes=64 * CHUNK_BYTES, buffers=budget).writer()
    await _upload(writer, os.urandom(20 * CHUNK_BYTES))
    assert watch.stop() == BATCHES
    assert budget.in_use == 0


async def test_an_upload_waits_for_its_first_buffer_until_one_comes_back(tmp_path: Path) -> None:
    budget = BufferBudget(1)
    storage = Storage(tmp_path, max_bytes=64 * CHUNK_BYTES, buffers=budget)
    first, second = storage.writer(), storage.writer()
    await first.write(b"x" * 10)  # holds the only buffer
    waiting = await _pending(second.write(b"y" * 10))
    assert not waiting.done()

    await first.finish()
    await asyncio.wait_for(waiting, 10)
    assert (await second.finish()).sha256 == hashlib.sha256(b"y" * 10).hexdigest()
    assert budget.in_use == 0


async def test_aborted_and_cancelled_uploads_give_their_buffers_back(tmp_path: Path) -> None:
    budget = BufferBudget(2)
    storage = Storage(tmp_path, max_bytes=64 * CHUNK_BYTES, buffers=budget)
    holder, aborted, cancelled, last = (storage.writer() for _ in range(4))
    await holder.write(b"h")
    await aborted.write(os.urandom(2 * CHUNK_BYTES))  # a buffer sent, another filling
    # Both waiting for a first buffer, in this order:
    cancelled_wait = await _pending(cancelled.write(b"c"))
    last_wait = await _pending(last.write(b"l"))
    assert not cancelled_wait.done() and not last_wait.done()

    cancelled_wait.cancel()
    aborted.abort()  # its buffer goes to the next in turn, past the cancelled one
    await asyncio.wait_for(last_wait, 10)
    with pytest.raises(asyncio.CancelledError):
        await cancelled_wait
    cancelled.abort()

    for writer in (holder, last):
        await writer.finish()
    assert budget.in_use == 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A gateway whose uploads share two buffers."""
    return dataclasses.replace(settings, upload_buffer_bytes=2 * CHUNK_BYTES)


async def test_the_served_gateway_holds_its_uploads_to_the_setting(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    budget = gateway.app.state.upload_buffers
    assert budget.limit == 2
    contents = [os.urandom(3 * CHUNK_BYTES + 7) for _ in range(3)]
    watch = _Watch(budget)

    answers = await asyncio.gather(
        *(
            post_multipart(
                gateway, who.alice, UPLOAD_FILE, {}, {"file": ("f.bin", c, "application/x")}
            )
            for c in contents
        )
    )

    assert watch.stop() == 2  # the setting's two buffers, in use and never more
    assert [a.json()["data"]["uploadFile"]["sha256"] for a in answers] == [
        hashlib.sha256(c).hexdigest() for c in contents
    ]
    assert budget.in_use == 0


async def test_metrics_show_the_buffers_held_and_the_uploads_waiting(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    go_on = asyncio.Event()

    async def upload(content: bytes, held_after: int) -> httpx.Response:
        """An upload whose body stops ``held_after`` bytes into its file until ``go_on``."""
        files = {"file": ("f.bin", content, "application/x")}
        request = gateway.client.build_request(
            "POST", "/graphql", files=multipart(UPLOAD_FILE, {}, files), headers=bearer(who.alice)
        )
        body = request.read()
        cut = body.index(content) + held_after

        async def stream() -> AsyncIterator[bytes]:
            for start in range(0, cut, PIECE):
                yield body[start : min(start + PIECE, cut)]
            await go_on.wait()
            yield body[cut:]

        headers = {**request.headers, **PREFLIGHT}
        del headers["content-length"]
        return await gateway.client.post("/graphql", content=stream(), headers=headers)

    async def gauges_become(held: int, waiting: int) -> Samples:
        for _ in range(200):
            samples = await scrape(gateway.client)
            now = (
                value(samples, "neurogate_upload_buffer_bytes"),
                value(samples, "neurogate_uploads_waiting_for_buffer"),
            )
            if now == (held, waiting):
                return samples
            await asyncio.sleep(0.02)
        raise AssertionError(f"the gauges stayed at {now}, not {(held, waiting)}")

    contents = [os.urandom(3 * CHUNK_BYTES + 7) for _ in range(2)]
    first = asyncio.create_task(upload(contents[0], CHUNK_BYTES + PIECE))  # fills one, then two
    samples = await gauges_become(2 * CHUNK_BYTES, 0)
    assert value(samples, "neurogate_upload_buffer_limit_bytes") == 2 * CHUNK_BYTES
    second = asyncio.create_task(upload(contents[1], PIECE))  # no buffer left for it
    await gauges_become(2 * CHUNK_BYTES, 1)

    go_on.set()
    answers = await asyncio.gather(first, second)
    assert [a.json()["data"]["uploadFile"]["sha256"] for a in answers] == [
        hashlib.sha256(c).hexdigest() for c in contents
    ]
    await gauges_become(0, 0)
