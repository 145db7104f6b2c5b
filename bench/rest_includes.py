"""``python -m bench rest``'s BrainSTEM session list with the four default includes the real
client's ``load_session`` sends (``dataacquisition``, ``behaviors``, ``manipulations``,
``epochs``), against a raw SQL floor, on SQLite (the rest benchmark's database) and on
PostgreSQL (a scratch database with the same rows, on the server ``bench/_postgres.py``
names).

The floor is a plain Starlette app in a live uvicorn, with the same options as the gateway:
one statement for the page of sessions (visibility, order, window, count, each session's
project ids), then one per included model for the page's records (their link ids as JSON
arrays, under the same visibility rule), rows turned into BrainSTEM's dicts, orjson. Epochs
are not modelled: both answer an empty list. Answers are compared field by field first."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite
import asyncpg
import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import _postgres as postgres
from bench._timing import Timing
from bench.rest import (
    PAGE,
    UNTHROTTLED,
    Call,
    Run,
    _dashed,
    _healthz,
    _json,
    _met,
    _paging,
    _ratio,
    _same_page,
    _timestamp,
    build_experiments,
    measure_pair,
    serve,
)
from gateway.db.migrate import upgrade

INCLUDES = ("dataacquisition", "behaviors", "manipulations", "epochs")
PATH = "/api/public/stem/session/"


@dataclass(frozen=True)
class Dialect:
    """The floor's SQL on one database: how a UUID reads as BrainSTEM's text, how the page's
    ids are passed."""

    name: str
    key: Any  # column -> its dashed text
    in_page: str  # "<column> IN <the page's ids>"
    param: Any  # n -> the n-th parameter's placeholder

    def public(self, alias: str) -> str:
        """The gateway's visibility rule for an anonymous caller: the project is public."""
        return (
            f"EXISTS (SELECT 1 FROM project AS o WHERE o.id = {alias}.project_id "
            "AND o.is_public)"
        )

    def ids(self, values: str, order: str) -> str:
        """A JSON array of the ``values`` column of ``FROM ...`` rows, in ``order``."""
        if self is SQLITE:  # json_group_array takes no ORDER BY: aggregate an ordered subquery
            inner = f"SELECT {values} AS v {{rows}} ORDER BY {order}"
            return f"(SELECT json_group_array(x.v) FROM ({inner}) AS x)"
        return f"(SELECT coalesce(json_agg({values} ORDER BY {order}), '[]') {{rows}})"


SQLITE = Dialect(
    "sqlite",
    key=_dashed,
    in_page="{} IN (SELECT value FROM json_each(?1))",
    param=lambda n: f"?{n}",
)
POSTGRES = Dialect(
    "postgresql",
    key=lambda column: f"{column}::text",
    in_page="{} = ANY($1::uuid[])",
    param=lambda n: f"${n}",
)


def page_sql(d: Dialect) -> str:
    # A session's projects: its owner first, then those it is linked to, by id.
    projects = d.ids("x.v", "x.rank").format(
        rows=f"""FROM (
        SELECT {d.key("p.id")} AS v, '' AS rank FROM project AS p WHERE p.id = s.project_id
        UNION ALL
        SELECT {d.key("l.project_id")}, {d.key("l.project_id")} FROM session_project AS l
        JOIN project AS p ON p.id = l.project_id
        WHERE l.session_id = s.id AND l.project_id != s.project_id AND p.is_public) AS x"""
    )
    return f"""
SELECT {d.key("s.id")}, s.name, s.narrative, s.start_time, s.extra_fields, {projects},
  (SELECT count(*) FROM session AS c WHERE {d.public("c")})
FROM session AS s WHERE {d.public("s")}
ORDER BY s.start_time DESC, s.id LIMIT {d.param(1)} OFFSET {d.param(2)}"""


def _linked(d: Dialect, links: str, near: str, far: str, target: str, seen: str) -> str:
    """A record's ``far`` ids through ``links``, of ``target`` rows the caller may see."""
    rows = f"FROM {links} AS l JOIN {target} AS t ON t.id = l.{far}"
    rows += f" WHERE l.{near} = r.id AND {seen}"
    return d.ids(d.key(f"l.{far}"), f"l.{far}").format(rows=rows)


def records_sql(d: Dialect, model: str) -> str:
    """The page's records of one included model, in each session's order."""
    common = (
        f'{d.key("r.id")}, {d.key("r.session_id")}, r.notes, r."order", r.created_at, '
        "r.updated_at"
    )
    # Procedures are seen with their subject, subjects with their project (anonymous: public).
    procedure_seen = (
        f"EXISTS (SELECT 1 FROM subject AS u WHERE u.id = t.subject_id AND {d.public('u')})"
    )
    if model == "behaviors":
        table = "behavior"
        more = (
            f'{d.key("r.setup_id")}, {d.key("r.behavioral_assay_id")}, '
            + _linked(d, "behavior_subject", "behavior_id", "subject_id", "subject", d.public("t"))
        )
    else:
        table = "data_acquisition" if model == "dataacquisition" else "manipulation"
        more = (
            f'r.type, r.details, r.type_schema_version, {d.key("r.hardware_device_id")}, '
            + _linked(d, f"{table}_procedure", f"{table}_id", "procedure_id", "procedure",
                      procedure_seen)
        )  # fmt: skip
    return f"""SELECT {common}, {more} FROM {table} AS r
WHERE {d.in_page.format("r.session_id")} ORDER BY r."order", r.id"""


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        fraction = f".{value.microsecond:06d}" if value.microsecond else ""
        return f"{value:%Y-%m-%dT%H:%M:%S}{fraction}Z"
    return _timestamp(value)


def _record(model: str, row: Any) -> dict[str, Any]:
    key, session, notes, order, created, updated = row[:6]
    record: dict[str, Any] = {"id": key, "notes": notes, "order": order}
    record |= {"created_at": _time(created), "updated_at": _time(updated), "session": session}
    if model == "behaviors":
        setup, assay, subjects = row[6:]
        record |= {"setup": setup, "behavioralassay": assay}
        return record | {"subjects": orjson.loads(subjects)}
    kind, details, version, device, procedures = row[6:]
    return record | {
        "type": kind,
        "details": orjson.loads(details),
        "type_schema_version": version,
        "hardwaredevice": device,
        "procedures": orjson.loads(procedures),
    }


class Floor:
    """The floor's connection, on either database."""

    def __init__(self, dialect: Dialect, conn: Any) -> None:
        self.dialect, self.conn = dialect, conn
        self.page = page_sql(dialect)
        self.records = {m: records_sql(dialect, m) for m in INCLUDES if m != "epochs"}

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        if self.dialect is SQLITE:
            async with self.conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        return list(await self.conn.fetch(sql, *params))

    def page_ids(self, rows: list[Any]) -> Any:
        keys = [row[0] for row in rows]
        if self.dialect is SQLITE:
            return orjson.dumps([k.replace("-", "") for k in keys]).decode()
        return keys


async def floor_sessions(request: Request) -> Response:
    floor: Floor = request.app.state.floor
    limit, offset = int(request.query_params["limit"]), int(request.query_params.get("offset", 0))
    rows = await floor.fetch(floor.page, limit, offset)
    sessions = {
        key: {
            "id": key, "name": name, "description": narrative, "date_time": _time(start),
            "extra_fields": orjson.loads(extra), "projects": orjson.loads(projects),
            "behaviors": [], "dataacquisition": [], "manipulations": [], "epochs": [],
        }
        for key, name, narrative, start, extra, projects, _ in rows
    }  # fmt: skip
    ids = floor.page_ids(rows)
    for model, sql in floor.records.items():
        for row in await floor.fetch(sql, ids):
            sessions[row[1]][model].append(_record(model, row))
    return _json({"sessions": [*sessions.values()], **_paging(request, rows)})


def create_floor_app() -> Starlette:
    """``uvicorn bench.rest_includes:create_floor_app --factory``, on the database named by
    ``NEUROGATE_BENCH_FLOOR_URL`` (a SQLite file path, or a PostgreSQL DSN)."""
    target = os.environ["NEUROGATE_BENCH_FLOOR_URL"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if target.startswith("postgresql"):
            conn = await asyncpg.connect(target)
            app.state.floor = Floor(POSTGRES, conn)
        else:
            conn = await aiosqlite.connect(target)
            app.state.floor = Floor(SQLITE, conn)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await conn.close()

    routes = [Route("/healthz", _healthz), Route("/floor/stem/session/", floor_sessions)]
    return Starlette(routes=routes, lifespan=lifespan)


def run() -> Run:
    page = [("limit", str(PAGE))]
    includes = [("include[]", f"{name}.*") for name in INCLUDES]
    return Run(
        f"BrainSTEM session list, the client's 4 default includes, limit {PAGE}",
        Call("GET", PATH, [*includes, *page]),
        Call("GET", "/floor/stem/session/", page),
        _same_page("sessions"),
    )


def measure(database_url: str, floor_target: str, label: str) -> float:
    """The run against its floor on one database; the ratio of the medians."""
    gateway_env = {
        "NEUROGATE_DATABASE_URL": database_url,
        "NEUROGATE_GRAPHIQL": "false",
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": UNTHROTTLED,
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": UNTHROTTLED,
    }
    the_run = run()
    with (
        serve("gateway.app:create_app", gateway_env) as gateway_base,
        serve(
            "bench.rest_includes:create_floor_app", {"NEUROGATE_BENCH_FLOOR_URL": floor_target}
        ) as floor_base,
        httpx.Client(timeout=60) as client,
    ):
        theirs = the_run.gateway.send(client, gateway_base)
        ours = the_run.floor.send(client, floor_base)
        same = the_run.check(orjson.loads(theirs.replace(gateway_base.encode(), b"")),
                             orjson.loads(ours.replace(floor_base.encode(), b"")))  # fmt: skip
        print(f"\n{the_run.title} ({label})\n  checked: {same}", flush=True)
        gateway, floor = measure_pair(client, the_run, (gateway_base, floor_base))
        driver = "asyncpg" if floor_target.startswith("postgresql") else "aiosqlite"
        floor = Timing(f"floor (Starlette+{driver})", floor.samples)
        ratio = _ratio(gateway, floor)
        print(f"  {gateway.row()}\n  {floor.row()}")
        print(f"  ratio gateway/floor: medians {ratio:.2f}x   (target <= 2x: {_met(ratio)})")
        return ratio


async def _build_postgres(engine: Any) -> None:
    await upgrade(engine)
    await build_experiments(engine)


def measure_postgres() -> float | None:
    """The run on a scratch PostgreSQL database holding the rest benchmark's rows."""
    if postgres.server() is None:
        return None

    async def main() -> float:
        started = time.perf_counter()
        async with postgres.scratch_database("ng_bench_rest_includes", _build_postgres) as url:
            print(f"built the PostgreSQL copy in {time.perf_counter() - started:.1f} s")
            return await asyncio.to_thread(measure, url, postgres.dsn(url), "PostgreSQL")

    return asyncio.run(main())
