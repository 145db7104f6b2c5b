"""1,000 sessions through the gateway, against two floors measured in the same run.

* gateway, in process: ``schema.execute`` with a fresh context per request, then orjson; and
  the same with Strawberry's own executor instead of the gateway's, which completes lists of
  plain objects in one pass (``schema/execution.py``): every field through graphql-core;
* gateway over HTTP: a live uvicorn (``create_app`` via ``--factory``) on 127.0.0.1, and the
  same app in process through ``httpx.ASGITransport``;
* REST floor: one raw SQL join through aiosqlite, nested dicts, orjson;
* engine floor: graphql-core alone (SDL schema, default resolvers) over the same rows already in
  memory: the unavoidable cost of GraphQL execution in Python.

All of it runs on SQLite, then again on PostgreSQL (a scratch database on the server of
bench/_postgres.py, whose REST floor is asyncpg with a prepared statement).

Run with ``python -m bench`` (or ``python -m bench.graphql_sessions``). Environment knobs:
``NEUROGATE_BENCH_PROFILE=1`` also prints a cProfile of the in-process gateway path;
``NEUROGATE_BENCH_ANALYZE=1`` runs SQLite's ANALYZE after loading (the planner then has
statistics, which changes the gateway's plan for the sessions list).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import os
import pstats
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import graphql
import httpx
import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench import _postgres as postgres
from bench._serve import GATEWAY, uvicorn
from bench._timing import Timing, measure_async, measure_interleaved
from gateway.app import create_app
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.db.models import Project, Session, Species, Subject
from gateway.settings import Settings
from resolvers.context import Context
from schema import build_schema

N_PROJECTS = 50
N_SPECIES = 20
N_SUBJECTS = 5_000
N_SESSIONS = 50_000
PAGE = 1_000

WARMUP = 5
REPS = 40
SMALL_REPS = 500
ENGINE_FLOOR = "engine floor (graphql-core + orjson)"

# Targets stated by the issue; reported, never enforced.
TARGET_ENGINE_RATIO = 1.3
TARGET_REST_RATIO = (8.0, 14.0)

QUERY = f"""{{
  sessions(limit: {PAGE}) {{
    id name startTime number taskProtocol
    project {{ name }}
    subject {{ nickname species {{ name }} }}
  }}
}}"""

SMALL_QUERY = "{ species(limit: 5) { name } }"

# The same question in SQL: the gateway's visibility rule (public projects), its default order.
# CROSS JOIN is SQLite's join-order hint: sessions stay the outer loop and are read newest first
# through ix_session_start_time (~4 ms). A plain JOIN lets the planner start from the public
# projects instead (every project is public here), then sort all 50,000 sessions: ~80 ms.
REST_SQL = f"""
SELECT s.id, s.name, s.start_time, s.number, s.task_protocol, p.name, sub.nickname, sp.name
FROM session AS s
CROSS JOIN project AS p ON p.id = s.project_id
LEFT JOIN subject AS sub ON sub.id = s.subject_id
LEFT JOIN species AS sp ON sp.id = sub.species_id
WHERE p.is_public = 1
ORDER BY s.start_time DESC, s.id
LIMIT {PAGE}
"""

# The same on PostgreSQL, whose planner needs no hint; NULLS LAST as the gateway orders.
REST_SQL_POSTGRES = f"""
SELECT s.id::text, s.name, s.start_time, s.number, s.task_protocol, p.name, sub.nickname, sp.name
FROM session AS s
JOIN project AS p ON p.id = s.project_id
LEFT JOIN subject AS sub ON sub.id = s.subject_id
LEFT JOIN species AS sp ON sp.id = sub.species_id
WHERE p.is_public
ORDER BY s.start_time DESC NULLS LAST, s.id
LIMIT {PAGE}
"""

# The gateway's types for these fields, nullability included, as plain SDL.
FLOOR_SDL = """
scalar DateTime
type Species { name: String! }
type Project { name: String! }
type Subject { nickname: String! species: Species }
type Session {
  id: ID! name: String! startTime: DateTime number: Int taskProtocol: String!
  project: Project subject: Subject
}
type Query { sessions(limit: Int): [Session!]! }
"""


def _serialize_datetime(value: datetime) -> str:
    return value.isoformat() + "Z"


# -- data ------------------------------------------------------------------------------------


async def build_database(engine: AsyncEngine) -> None:
    await upgrade(engine)
    rng = random.Random(20240301)
    now = datetime(2024, 3, 1, 12, 0, 0)
    projects = [
        {
            "id": uuid.uuid4(),
            "name": f"project-{i:02d}",
            "description": f"Benchmark project {i}",
            "is_public": True,
            "tags": [],
            "extra_fields": {},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(N_PROJECTS)
    ]
    species = [
        {
            "id": uuid.uuid4(),
            "name": f"species-{i:02d}",
            "scientific_name": f"Genus species{i}",
            "description": "",
            "comments": "",
            "rrid": "",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(N_SPECIES)
    ]
    subjects = [
        {
            "id": uuid.uuid4(),
            "nickname": f"SUBJ-{i:05d}",
            "description": "",
            "sex": rng.choice("MFU"),
            "genotype": "",
            "genetic_line": "",
            "status": "active",
            "project_id": rng.choice(projects)["id"],
            "species_id": rng.choice(species)["id"],
            "extra_fields": {},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(N_SUBJECTS)
    ]
    sessions = []
    for i in range(N_SESSIONS):
        subject = rng.choice(subjects)
        start = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        sessions.append(
            {
                "id": uuid.uuid4(),
                "name": f"{start:%Y-%m-%d}_{i % 10 + 1:03d}",
                "narrative": "",
                "type": "Experiment",
                "number": i % 10 + 1,
                "task_protocol": "_iblrig_tasks_trainingChoiceWorld6.4.2",
                "start_time": start,
                "end_time": start + timedelta(hours=1),
                "qc": 0,
                "n_trials": 400 + i % 300,
                "n_correct_trials": 300 + i % 100,
                "project_id": subject["project_id"],
                "subject_id": subject["id"],
                "extra_fields": {},
                "created_at": now,
                "updated_at": now,
            }
        )
    async with engine.begin() as conn:
        for model, rows in (  # parents first: foreign keys are on
            (Project, projects),
            (Species, species),
            (Subject, subjects),
            (Session, sessions),
        ):
            table = SQLModel.metadata.tables[model.__tablename__]
            await conn.execute(insert(table), rows)


# -- floors ----------------------------------------------------------------------------------


def rest_shape(rows: list[Any]) -> dict[str, Any]:
    return {
        "data": {
            "sessions": [
                {
                    "id": sid,
                    "name": name,
                    "startTime": start,
                    "number": number,
                    "taskProtocol": protocol,
                    "project": {"name": project},
                    "subject": None
                    if nickname is None
                    else {
                        "nickname": nickname,
                        "species": None if species is None else {"name": species},
                    },
                }
                for sid, name, start, number, protocol, project, nickname, species in rows
            ]
        }
    }


# The REST floor's rows, read by the database's own driver.
Fetch = Callable[[], Awaitable[list[Any]]]


async def rest_floor(fetch: Fetch) -> bytes:
    return orjson.dumps(rest_shape(await fetch()))


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def engine_rows(rest_rows: list[Any]) -> list[dict[str, Any]]:
    """The REST rows with the Python values the gateway sees (UUID, datetime)."""
    shaped = rest_shape(rest_rows)["data"]["sessions"]
    for row in shaped:
        row["id"] = _uuid(row["id"])
        if isinstance(row["startTime"], str):
            row["startTime"] = datetime.fromisoformat(row["startTime"])
    return shaped


def build_floor_schema() -> graphql.GraphQLSchema:
    schema = graphql.build_schema(FLOOR_SDL)
    date_time = schema.type_map["DateTime"]
    assert isinstance(date_time, graphql.GraphQLScalarType)
    # graphql-core 3.3 completes leaf values with ``coerce_output_value`` (``serialize`` is kept
    # as its older alias); set both, as GraphQLScalarType(serialize=...) would.
    date_time.serialize = _serialize_datetime  # type: ignore[method-assign]
    date_time.coerce_output_value = _serialize_datetime
    return schema


# -- helpers ---------------------------------------------------------------------------------


def executes(schema: Any, query: str, settings: Settings, sessionmaker: Any) -> Any:
    """One in-process request: ``schema.execute`` with a fresh context (as the view builds
    one per request), then orjson."""

    async def request() -> bytes:
        result = await schema.execute(query, context_value=Context.build(settings, sessionmaker))
        if result.errors:
            raise RuntimeError(result.errors)
        return orjson.dumps({"data": result.data})

    return request


def every_field_schema(settings: Settings) -> Any:
    """The gateway's schema with Strawberry's own executor: every field through graphql-core,
    no plain list completion (``schema/execution.py``)."""
    schema = build_schema(settings)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    return schema


def count_fields(value: Any) -> int:
    """Resolved fields in a response's ``data``: every key of every object, nested."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


@contextmanager
def uvicorn_server(url: str) -> Iterator[str]:
    env = {
        "NEUROGATE_DATABASE_URL": url,
        "NEUROGATE_MAX_PAGE_SIZE": str(PAGE),
        "NEUROGATE_GRAPHIQL": "false",
    }
    with uvicorn(GATEWAY, env) as (base, _):
        yield base


async def _post(client: httpx.AsyncClient) -> bytes:
    response = await client.post("/graphql", json={"query": QUERY})
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.content


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:6.2f}x"


# -- the run ---------------------------------------------------------------------------------


async def run(workdir: Path) -> None:
    db_path = workdir / "sessions.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    settings = Settings(database_url=url, max_page_size=PAGE, graphiql=False)

    started = time.perf_counter()
    engine = create_engine(url)
    try:
        await build_database(engine)
        print(
            f"built {db_path.name}: {N_PROJECTS} projects, {N_SPECIES} species, "
            f"{N_SUBJECTS:,} subjects, {N_SESSIONS:,} sessions "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        async with aiosqlite.connect(db_path) as rest_conn:
            if os.environ.get("NEUROGATE_BENCH_ANALYZE"):
                await rest_conn.execute("ANALYZE")
                await rest_conn.commit()
                print("ran ANALYZE", flush=True)

            async def fetch() -> list[Any]:
                async with rest_conn.execute(REST_SQL) as cursor:
                    return list(await cursor.fetchall())

            await _measure_all(settings, engine, fetch, "REST floor (aiosqlite + orjson)")
    finally:
        await engine.dispose()
    if postgres.server() is not None:
        await _run_on_postgres()


async def _run_on_postgres() -> None:
    print(f"\n--- the same on PostgreSQL ({N_SESSIONS:,} sessions, ANALYZEd)", flush=True)
    async with postgres.scratch_database("ng_bench_sessions", build_database) as url:
        settings = Settings(database_url=url, max_page_size=PAGE, graphiql=False)
        engine = create_engine(url)
        rest_conn = await asyncpg.connect(postgres.dsn(url))
        try:
            statement = await rest_conn.prepare(REST_SQL_POSTGRES)

            async def fetch() -> list[Any]:
                return list(await statement.fetch())

            await _measure_all(settings, engine, fetch, "REST floor (asyncpg + orjson)")
        finally:
            await rest_conn.close()
            await engine.dispose()


async def _measure_all(
    settings: Settings, engine: AsyncEngine, fetch: Fetch, rest_name: str
) -> None:
    sessionmaker = session_factory(engine)
    schema = build_schema(settings)

    per_field = every_field_schema(settings)
    gateway = executes(schema, QUERY, settings, sessionmaker)

    # Check the answer once, and that both floors answer the same question.
    first = await schema.execute(QUERY, context_value=Context.build(settings, sessionmaker))
    if first.errors or first.data is None:
        raise RuntimeError(first.errors)
    n_fields = count_fields(first.data)

    rest_rows = await fetch()
    gateway_ids = [uuid.UUID(s["id"]) for s in first.data["sessions"]]
    if [_uuid(r[0]) for r in rest_rows] != gateway_ids:
        raise RuntimeError("the REST floor and the gateway disagree on the 1,000 sessions")

    floor_schema = build_floor_schema()
    document = graphql.parse(QUERY)
    if graphql.validate(floor_schema, document):
        raise RuntimeError("the engine floor's schema rejects the query")
    floor_root = {"sessions": engine_rows(rest_rows)}

    def engine_floor() -> bytes:
        result = graphql.execute_sync(floor_schema, document, root_value=floor_root)
        if result.errors:
            raise RuntimeError(result.errors)
        return orjson.dumps({"data": result.data})

    if orjson.loads(engine_floor()) != {"data": first.data}:
        raise RuntimeError("the engine floor's answer differs from the gateway's")
    every_field = executes(per_field, QUERY, settings, sessionmaker)
    if orjson.loads(await every_field()) != {"data": first.data}:
        raise RuntimeError("the gateway answers differently with graphql-core completing lists")

    # Like the app's lifespan: everything built so far lives for the whole run.
    gc.collect()
    gc.freeze()

    print(
        f"query: {PAGE:,} sessions, {n_fields:,} resolved fields, "
        f"{len(await gateway()):,} bytes of JSON",
        flush=True,
    )

    # Every gateway run is interleaved with the engine floor (round-robin, request by
    # request), and each ratio is taken against the floor of its own round.
    first_round = await measure_interleaved(
        {
            rest_name: lambda: rest_floor(fetch),
            ENGINE_FLOOR: engine_floor,
            "gateway in process": gateway,
            "gateway, every field via graphql-core": every_field,
        },
        warmup=WARMUP,
        reps=REPS,
    )
    rest, floor, in_process, per_field_timing = first_round.values()
    rounds = [(in_process, floor), (per_field_timing, floor)]
    rounds.append(await _measure_asgi(settings, engine_floor))
    try:
        rounds.append(await _measure_uvicorn(settings.database_url, engine_floor))
    except RuntimeError as exc:
        print(f"(uvicorn measurement skipped: {exc})")
    small = await _small_queries(schema, settings, sessionmaker)

    print()
    # The first two gateway rounds share the floor of their interleaved run.
    for timing in (rest, floor, in_process, per_field_timing, *(t for r in rounds[2:] for t in r)):
        print(timing.row())
    print()
    print(f"resolved fields: {n_fields:,}")
    print(f"engine floor:    {floor.median / n_fields * 1e6:.2f} µs per field")
    print(f"gateway:         {in_process.median / n_fields * 1e6:.2f} µs per field (in process)")
    print()
    low, high = TARGET_REST_RATIO
    print(f"{'ratio of medians':<34} {'/ engine floor':>16} {'/ REST floor':>14}")
    for timing, its_floor in rounds:
        print(
            f"{timing.name:<34} {_ratio(timing.median, its_floor.median):>16} "
            f"{_ratio(timing.median, rest.median):>14}"
        )
    engine_target, rest_target = f"<= {TARGET_ENGINE_RATIO:g}x", f"~{low:g}-{high:g}x"
    print(f"{'target (issue)':<34} {engine_target:>16} {rest_target:>14}")
    print()
    print(small)

    if os.environ.get("NEUROGATE_BENCH_PROFILE"):
        await _profile(gateway)


async def _measure_asgi(settings: Settings, engine_floor: Any) -> tuple[Timing, Timing]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        timings = await measure_interleaved(
            {"gateway HTTP (ASGITransport)": lambda: _post(client), ENGINE_FLOOR: engine_floor},
            warmup=WARMUP,
            reps=REPS,
        )
    return tuple(timings.values())  # type: ignore[return-value]


async def _measure_uvicorn(url: str, engine_floor: Any) -> tuple[Timing, Timing]:
    with uvicorn_server(url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            timings = await measure_interleaved(
                {
                    "gateway HTTP (uvicorn, 127.0.0.1)": lambda: _post(client),
                    ENGINE_FLOOR: engine_floor,
                },
                warmup=WARMUP,
                reps=REPS,
            )
    return tuple(timings.values())  # type: ignore[return-value]


async def _small_queries(schema: Any, settings: Settings, sessionmaker: Any) -> str:
    small = executes(schema, SMALL_QUERY, settings, sessionmaker)
    timing = await measure_async("small", small, warmup=20, reps=SMALL_REPS)
    # What the parser and validation caches save per request, for comparison.
    core_schema = schema._schema  # the graphql-core schema Strawberry built
    started = time.perf_counter()
    for _ in range(100):
        graphql.validate(core_schema, graphql.parse(SMALL_QUERY))
    uncached = (time.perf_counter() - started) / 100
    started = time.perf_counter()
    for _ in range(20):
        graphql.validate(core_schema, graphql.parse(QUERY))
    uncached_big = (time.perf_counter() - started) / 20
    return (
        f"small query {SMALL_QUERY!r} in process: median {timing.median * 1e6:.0f} µs, "
        f"p90 {timing.p90 * 1e6:.0f} µs (n={SMALL_REPS}; parse+validate is cached)\n"
        f"  for comparison, uncached parse+validate: {uncached * 1e6:.0f} µs for the small "
        f"query, {uncached_big * 1e6:.0f} µs for the sessions query"
    )


async def _profile(gateway: Any) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        await gateway()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    print("\ncProfile of 10 in-process gateway requests (by own time):")
    print(out.getvalue())


def run_in_scratch(run: Callable[[Path], Coroutine[Any, Any, None]]) -> None:
    """``run`` a benchmark in a scratch directory under bench/data, removed afterwards."""
    data_dir = Path(__file__).resolve().parent / "data"
    data_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir) as workdir:
        asyncio.run(run(Path(workdir)))


def main() -> None:
    run_in_scratch(run)


if __name__ == "__main__":
    main()
