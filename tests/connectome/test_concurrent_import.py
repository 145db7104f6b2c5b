"""Two imports of different datasets at the same time: neither waits for the other. The
first is held still at its most advanced point (partners derived and indexed, properties
next, nothing published) while the second runs from start to finish."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.connectome.importer import Imported, Target, import_connectome
from gateway.settings import Settings
from resolvers.connectome import segment_properties
from resolvers.context import Context
from tests.connectome.conftest import ConnectomeFiles, Expected

HOLD_SECONDS = 120  # the held import gives up after this, so a failure never hangs the run


class HeldAtProperties:
    """Progress that stops the import when it reaches its first property file."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def phase(self, name: str, total_bytes: int) -> None:
        if name == "soma":
            self.reached.set()
            self.release.wait(HOLD_SECONDS)

    def advance(self, bytes_read: int, rows: int) -> None:
        pass


def _import(database_url: str, dataset: str, files: ConnectomeFiles, progress: object) -> Imported:
    return asyncio.run(
        import_connectome(
            database_url,
            Target(dataset, None, datetime(2023, 9, 30)),
            neurons=files.neurons,
            connections=files.connections,
            cell_stats=files.cell_stats,
            properties=[("soma", files.properties["soma"])],
            progress=progress,  # type: ignore[arg-type]
        )
    )


@asynccontextmanager
async def held_import(
    database_url: str, dataset: str, files: ConnectomeFiles
) -> AsyncIterator[dict[str, Imported | BaseException]]:
    """An import in a thread of its own, held at its first property file while the block
    runs; once the block has ended, the dict yielded holds its outcome under ``"done"`` (what
    it imported, or the error it raised)."""
    held = HeldAtProperties()
    outcome: dict[str, Imported | BaseException] = {}

    def run() -> None:
        try:
            outcome["done"] = _import(database_url, dataset, files, held)
        except BaseException as error:  # reported by the caller's assertions
            outcome["done"] = error

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert await asyncio.to_thread(held.reached.wait, HOLD_SECONDS)
        yield outcome
    finally:
        held.release.set()
        await asyncio.to_thread(thread.join)


async def test_an_import_runs_to_the_end_while_another_holds_its_transaction(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    other_set: ConnectomeFiles,
    expected: Expected,
) -> None:
    async with held_import(database_url, "first_fly", small_set) as first:
        # The first import is mid-transaction; the second must not wait for it.
        second = await asyncio.wait_for(
            asyncio.to_thread(_import, database_url, "second_fly", other_set, None), 90
        )
    first_done = first["done"]
    assert isinstance(first_done, Imported), first_done
    assert first_done.connections == expected.connection_rows
    assert first_done.materialization_id != second.materialization_id
    ctx = Context.build(Settings(database_url=database_url), sessionmaker)
    hub = expected.by_degree()[-1]
    answer = await segment_properties(ctx, "first_fly", [hub], ["link_pre", "soma"])
    assert answer.results[hub]["link_pre"] == expected.link_pre(hub)
    assert answer.results[hub]["soma"] is not None
    assert (await segment_properties(ctx, "second_fly", [hub], ["size"])).unknown == [hub]
