"""What each performance lever of the GraphQL read path is worth, each against its own
absence, measured in one run on the sessions benchmark's database (bench/graphql_sessions.py).

* plain list completion (``schema/execution.py``) against Strawberry's own executor: the
  1,000-session query in process;
* ``gc.freeze()`` after start-up against a heap left to the collector: what one full
  collection costs (the collector runs them now and then, in the middle of a request);
* the selection limits rule (depth, aliases, expanded fields) built once against built per
  request (how Strawberry documents its limiters, which defeats the validation cache): a
  small query;
* orjson against the standard library: encoding the 1,000-session answer;
* Core rows against ORM objects: reading 1,000 sessions with every column.

Each on SQLite, then on PostgreSQL (bench/_postgres.py). Run with
``python -m bench graphql_levers``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from strawberry.extensions import AddValidationRules

from bench import _postgres as postgres
from bench._timing import Timing, measure_interleaved
from bench.graphql_sessions import (
    PAGE,
    QUERY,
    SMALL_QUERY,
    build_database,
    every_field_schema,
    executes,
    run_in_scratch,
)
from gateway.db.engine import create_engine, session_factory
from gateway.db.models import Session
from gateway.settings import Settings
from schema import build_schema
from schema.extensions import SchemaSettings, build_extensions
from schema.limits import selection_limits

REPS = 40
SMALL_REPS = 300


def _limiters_per_request(settings: Settings) -> list[Callable[[], Any]]:
    """The gateway's extensions, but with the limits rule built anew for every request (in
    place of the one ``AddValidationRules`` holding the rules built once)."""

    def built_once(extension: Any) -> bool:
        return isinstance(extension, partial) and extension.func is AddValidationRules

    per_request: list[Callable[[], Any]] = [
        lambda: AddValidationRules(
            [
                selection_limits(
                    max_depth=settings.max_query_depth,
                    max_aliases=settings.max_query_aliases,
                    max_fields=settings.max_query_fields,
                )
            ]
        ),
    ]
    extensions = build_extensions(SchemaSettings.of(settings))
    if sum(map(built_once, extensions)) != 1:
        raise RuntimeError("expected the limiter rules in one AddValidationRules factory")
    return [new for ext in extensions for new in (per_request if built_once(ext) else [ext])]


def _print(title: str, pair: dict[str, Timing]) -> None:
    with_lever, without = pair.values()
    print(f"\n{title}")
    for timing in (with_lever, without):
        print(timing.row())
    print(f"{'without / with (medians)':<34} {without.median / with_lever.median:6.2f}x")


async def run(workdir: Path) -> None:
    url = f"sqlite+aiosqlite:///{workdir / 'sessions.db'}"
    engine = create_engine(url)
    try:
        await build_database(engine)
    finally:
        await engine.dispose()
    print("--- on SQLite")
    await _measure(url)
    if postgres.server() is not None:
        print("\n--- on PostgreSQL (the same data, ANALYZEd)")
        async with postgres.scratch_database("ng_bench_levers_graphql", build_database) as pg:
            await _measure(pg)


async def _measure(url: str) -> None:
    settings = Settings(database_url=url, max_page_size=PAGE, graphiql=False)
    engine = create_engine(url)
    try:
        sm = session_factory(engine)
        schema = build_schema(settings)
        per_field = every_field_schema(settings)
        gateway = executes(schema, QUERY, settings, sm)
        gc.collect()
        gc.freeze()

        _print(
            "plain list completion (1,000 sessions, 11,001 fields)",
            await measure_interleaved(
                {
                    "plain lists": gateway,
                    "every field via graphql-core": executes(per_field, QUERY, settings, sm),
                },
                warmup=5,
                reps=REPS,
            ),
        )

        def full_collection_unfrozen() -> None:
            gc.unfreeze()
            try:
                gc.collect()
            finally:
                gc.freeze()

        print(f"\nheap: {gc.get_freeze_count():,} objects frozen after start-up")
        _print(
            "gc.freeze() after start-up: one full collection",
            await measure_interleaved(
                {"frozen heap": gc.collect, "heap left to the collector": full_collection_unfrozen},
                warmup=3,
                reps=REPS,
            ),
        )

        limiters_once = build_schema(settings)
        limiters_per_request = build_schema(settings)
        limiters_per_request.extensions = _limiters_per_request(settings)
        _print(
            f"limiter rules built once ({SMALL_QUERY!r})",
            await measure_interleaved(
                {
                    "built once": executes(limiters_once, SMALL_QUERY, settings, sm),
                    "built per request": executes(limiters_per_request, SMALL_QUERY, settings, sm),
                },
                warmup=20,
                reps=SMALL_REPS,
            ),
        )

        data = orjson.loads(await gateway())
        _print(
            "orjson (encoding the 1,000-session answer)",
            await measure_interleaved(
                {"orjson": lambda: orjson.dumps(data), "json": lambda: json.dumps(data)},
                warmup=5,
                reps=REPS,
            ),
        )

        table = Session.__table__  # type: ignore[attr-defined]

        async def core_rows() -> None:
            async with engine.connect() as conn:
                (await conn.execute(select(table).limit(PAGE))).all()

        async def orm_objects() -> None:
            async with sm() as session:
                (await session.execute(select(Session).limit(PAGE))).scalars().all()

        _print(
            "Core rows (1,000 sessions, every column)",
            await measure_interleaved(
                {"Core rows": core_rows, "ORM objects": orm_objects}, warmup=5, reps=REPS
            ),
        )
    finally:
        await engine.dispose()


def main() -> None:
    run_in_scratch(run)


if __name__ == "__main__":
    main()
