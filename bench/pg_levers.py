"""What each lever of the lean PostgreSQL read path is worth, each against its absence, on the
sessions benchmark's data (bench/graphql_sessions.py) in a fresh PostgreSQL database:

* no pre-ping per checkout (a dead connection is found by the statement instead);
* reads in autocommit: no BEGIN before the statement nor ROLLBACK after it;
* prepared statements kept per connection (SQLAlchemy's asyncpg statement cache) against none;
* only the selected columns (4) against every column of the row (JSON included), by id;
* ids read as text, for a list that only passes them through, against UUID objects turned
  back into strings (1,000 sessions).

Each is timed interleaved with the lean path as the gateway now runs it (the same statement
through ``read_connection`` of the gateway's engine), and the floor is raw asyncpg with a
prepared statement. Run with ``python -m bench pg_levers`` (the server: bench/_postgres.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench._postgres import dsn, scratch_database
from bench._timing import Timing, measure_interleaved
from bench.graphql_sessions import build_database
from gateway.db.engine import create_engine, read_connection, session_factory
from gateway.db.models import Session, table

DATABASE = "ng_bench_levers"
REPS = 300
LIST = 1_000

_sessions = table(Session)
FOUR = (_sessions.c.id, _sessions.c.name, _sessions.c.start_time, _sessions.c.number)


def _print(title: str, timings: dict[str, Timing]) -> None:
    print(f"\n{title}")
    lean, *others = timings.values()
    print(f"{'':<34} ratios to the first line: of medians, of minimums (a loaded machine's")
    print(f"{'':<34} medians wander; the minimum is the path's own cost)")
    for timing in (lean, *others):
        ratios = f"{timing.median / lean.median:5.2f}x {timing.best / lean.best:5.2f}x"
        print(timing.row(), f"  {ratios}")


def _reading(engine: AsyncEngine, statement: Any, *, lean: bool) -> Callable[[], Awaitable[Any]]:
    sm = session_factory(engine)

    async def read() -> Any:
        connect = read_connection(sm) if lean else engine.connect()
        async with connect as conn:
            return (await conn.execute(statement)).all()

    return read


async def _run() -> None:
    async with scratch_database(DATABASE, build_database) as url:
        lean = create_engine(url)
        pinged = create_async_engine(url, pool_pre_ping=True)
        unprepared = create_async_engine(url, connect_args={"prepared_statement_cache_size": 0})
        raw = await asyncpg.connect(dsn(url))
        try:
            session_id = await raw.fetchval("SELECT id FROM session ORDER BY id LIMIT 1")
            by_id = select(*FOUR).where(_sessions.c.id == session_id)
            floor_statement = await raw.prepare(
                "SELECT id, name, start_time, number FROM session WHERE id = $1"
            )
            _print(
                "lookup by id, 4 columns: each lever against its absence",
                await measure_interleaved(
                    {
                        "lean (the gateway's read path)": _reading(lean, by_id, lean=True),
                        "+ BEGIN / ROLLBACK": _reading(lean, by_id, lean=False),
                        "+ pre-ping per checkout": _reading(pinged, by_id, lean=True),
                        "no prepared statement cache": _reading(unprepared, by_id, lean=True),
                        "every column (17, JSON too)": _reading(
                            lean, select(_sessions).where(_sessions.c.id == session_id), lean=True
                        ),
                        "floor: raw asyncpg, prepared": lambda: floor_statement.fetch(session_id),
                    },
                    warmup=20,
                    reps=REPS,
                ),
            )
            order = (_sessions.c.start_time.desc().nulls_last(), _sessions.c.id)
            as_uuid = select(_sessions.c.id, _sessions.c.name).order_by(*order).limit(LIST)
            as_text = select(cast(_sessions.c.id, String), _sessions.c.name)
            as_text = as_text.order_by(*order).limit(LIST)
            uuid_read, text_read = _reading(lean, as_uuid, lean=True), _reading(
                lean, as_text, lean=True
            )

            async def ids_from_uuids() -> list[str]:
                return [str(row[0]) for row in await uuid_read()]

            async def ids_as_text() -> list[str]:
                return [row[0] for row in await text_read()]

            if await ids_from_uuids() != await ids_as_text():
                raise RuntimeError("ids read as text differ from UUIDs turned into text")
            _print(
                f"{LIST:,} sessions' ids (and names), passed through as strings",
                await measure_interleaved(
                    {"ids read as text": ids_as_text, "UUID objects, then str()": ids_from_uuids},
                    warmup=5,
                    reps=REPS // 5,
                ),
            )
        finally:
            await raw.close()
            for engine in (lean, pinged, unprepared):
                await engine.dispose()


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
