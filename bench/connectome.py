"""A FlyWire-scale connectome: import throughput and memory, partner rankings and property
batches, each against the raw floor measured in the same run.

* data: ``neurogate generate-connectome`` defaults (140,000 neurons, 3,000,000 connection rows,
  heavy-tailed degrees), generated once into ``bench/data/connectome-flywire`` and reused;
* import: ``neurogate import-connectome`` as a child process into a freshly migrated SQLite
  file, then into a fresh PostgreSQL database on the server bench/_postgres.py names
  (``NEUROGATE_BENCH_POSTGRES=0`` skips it), ``IMPORT_RUNS`` times each: connection rows/s
  (as the import reports it, from opening the files to publishing) and peak RSS of the
  importing process and of its parsing child;
* queries, on the last import: the floor is the same SQL the gateway sends, through the stdlib
  ``sqlite3`` driver with no Python around it; then the domain functions (what the REST
  endpoint calls), GraphQL in process (``schema.execute`` + orjson), and HTTP to a live
  uvicorn (``create_app`` via ``--factory``) over a keep-alive ``http.client`` connection;
  on PostgreSQL the top-100 rankings against asyncpg running the same statements.

Figures are medians of repeated runs. Run with ``python -m bench connectome``;
``NEUROGATE_BENCH_IMPORT_RUNS`` changes the number of imports (default 3).
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import orjson
from sqlalchemy.engine import make_url

from bench import _postgres
from bench._timing import Timing, measure, measure_async
from bench.graphql_sessions import uvicorn_server
from gateway.connectome.synthetic import (
    FLYWIRE_CONNECTIONS,
    FLYWIRE_NEURONS,
    file_names,
    generate,
)
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.settings import Settings
from resolvers import connectome
from resolvers.context import Context
from resolvers.partners import Direction, partners
from schema import build_schema

DATASET = "fruitfly_fafb_flywire"
IMPORT_RUNS = int(os.environ.get("NEUROGATE_BENCH_IMPORT_RUNS", "3"))
# The PostgreSQL server the second half runs on (bench/_postgres.py names it); None: SQLite
# only. Each run has a database of its own there (named after its process), so two people
# benchmarking at once do not drop each other's.
POSTGRES_SERVER = _postgres.server()
BATCH = 1_000
TOP = 100
WARMUP, REPS, BATCH_REPS = 20, 300, 60
BATCH_PROPERTIES = ["size", "link_pre", "link_post", "neurotransmitter"]

# Targets stated by the issue; reported, never enforced.
TARGET_IMPORT_ROWS_PER_S = 300_000
TARGET_TOP_HTTP_MS = 5.0
TARGET_BATCH_GRAPHQL_MS = 100.0

TOP_QUERY = """query ($id: BigInt!, $first: Int) { dataset(name: "%s") {
  segment(id: $id) { downstream(first: $first) { ids synapseCounts total truncated } } } }"""
ALL_QUERY = """query ($id: BigInt!, $first: Int) { dataset(name: "%s") {
  segment(id: $id) { downstream(first: $first) { compact total truncated } } } }"""
BATCH_QUERY = """query ($ids: [BigInt!]!) { dataset(name: "%s") { segments(ids: $ids) {
  segments { id sizeNm lengthNm areaNm nrPre nrPost nrUpstreamPartner nrDownstreamPartner
             ntType ntScore }
  unknownIds } } }"""

# The statements the gateway sends for those two questions, for the floors.
SQL_MATERIALIZATION = """SELECT materialization.id, materialization.dataset_id,
  materialization.version, materialization.timestamp, materialization.valid,
  materialization.created_at FROM materialization JOIN connectome_dataset
  ON connectome_dataset.id = materialization.dataset_id
  WHERE connectome_dataset.name = ? AND materialization.valid IS 1
  ORDER BY materialization.version DESC LIMIT 1"""
SEGMENT_COLUMNS = ", ".join(connectome.SEGMENT_COLUMNS)
SQL_SEGMENTS = f"""SELECT {SEGMENT_COLUMNS} FROM segment WHERE materialization_id = ?
  AND id IN (SELECT value FROM json_each(?))"""
SQL_TOP = """SELECT post_id, syn_count FROM partnership WHERE materialization_id = ?
  AND pre_id = ? AND syn_count >= 1 ORDER BY syn_count DESC, post_id LIMIT ?"""
SQL_COUNT = """SELECT count(*) FROM partnership WHERE materialization_id = ? AND pre_id = ?
  AND syn_count >= 1"""


def _data_dir() -> Path:
    data = Path(__file__).resolve().parent / "data" / "connectome-flywire"
    if not all((data / name).exists() for name in file_names().values()):
        started = time.perf_counter()
        summary = generate(data, neurons=FLYWIRE_NEURONS, connections=FLYWIRE_CONNECTIONS)
        print(
            f"generated {summary.neurons:,} neurons, {summary.connections:,} connection rows "
            f"({summary.pairs:,} pairs, hubs up to {summary.max_out_degree:,} downstream "
            f"partners) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return data


# -- import ------------------------------------------------------------------------------------


class MemorySampler:
    """Peak resident memory of a process and its children, sampled from /proc every 10 ms.

    (``ru_maxrss`` would not do: a child's counter starts from its parent's size at the fork,
    so a benchmark process holding a large data set would inflate the importer's figure.)"""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total = self.peak_main = self.peak_child = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _children(self) -> list[int]:
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
                return [int(pid) for pid in children.read().split()]
        except OSError:
            return []

    def _run(self) -> None:
        while not self._stop.is_set():
            main = self._rss_kib(self.pid)
            child = sum(self._rss_kib(pid) for pid in self._children())
            self.peak_main = max(self.peak_main, main)
            self.peak_child = max(self.peak_child, child)
            self.peak_total = max(self.peak_total, main + child)
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _migrated(url: str) -> str:
    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return url


def import_command(data: Path) -> list[str]:
    """``neurogate import-connectome`` of the generated set in ``data``, as an operator runs
    it (the database comes from ``NEUROGATE_DATABASE_URL``)."""
    return [
        sys.executable, "-c", "from gateway.cli import main; main()",
        "import-connectome", DATASET, "--quiet",
        "--neurons", str(data / "neurons.csv.gz"),
        "--connections", str(data / "connections.csv.gz"),
        "--cell-stats", str(data / "cell_stats.csv.gz"),
        "--timestamp", "2023-09-30T05:00:00Z",
    ]  # fmt: skip


def _import_once(data: Path, url: str) -> dict[str, float]:
    command = import_command(data)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**os.environ, "NEUROGATE_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = MemorySampler(process.pid)
    out, err = process.communicate()
    memory.stop()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"import failed: {out}\n{err}")
    # "... in 9.1 s (329,512 connection rows/s)"
    report = out.strip().splitlines()[-1]
    seconds = float(report.rsplit(" in ", 1)[1].split(" s ", 1)[0])
    return {
        "seconds": seconds,
        "wall": wall,
        "rows_per_s": FLYWIRE_CONNECTIONS / seconds,
        "rss_mib": memory.peak_main / 1024,
        "parser_rss_mib": memory.peak_child / 1024,
        "total_rss_mib": memory.peak_total / 1024,
        # The importer's and its parsing children's CPU (not the database server's), and
        # how loaded the machine was: on a shared machine the wall time says little alone.
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load": os.getloadavg()[0],
    }


def bench_import(data: Path, fresh: Callable[[], str], label: str) -> tuple[str, str, str]:
    """``IMPORT_RUNS`` imports, each into a freshly migrated database ``fresh()`` gives;
    returns the summary, the verdict and the database of the last import."""
    runs = []
    for run in range(IMPORT_RUNS):
        url = fresh()
        runs.append(_import_once(data, url))
        print(
            f"  {label} import {run + 1}: {runs[-1]['seconds']:.2f} s, "
            f"{runs[-1]['rows_per_s']:,.0f} rows/s, peak RSS {runs[-1]['total_rss_mib']:.0f} MiB "
            f"(importer {runs[-1]['rss_mib']:.0f}, parser {runs[-1]['parser_rss_mib']:.0f}); "
            f"importer and parsers' CPU {runs[-1]['cpu']:.1f} s, load average "
            f"{runs[-1]['load']:.1f}",
            flush=True,
        )
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    summary = (
        f"{label} import {FLYWIRE_CONNECTIONS:,} connection rows (median of {IMPORT_RUNS}): "
        f"{median['seconds']:.2f} s = {median['rows_per_s']:,.0f} rows/s "
        f"(process wall {median['wall']:.2f} s); peak RSS {median['total_rss_mib']:.0f} MiB "
        f"(importer {median['rss_mib']:.0f} MiB, parser {median['parser_rss_mib']:.0f} MiB)"
    )
    verdict = (
        f"{label} import rows/s: {median['rows_per_s']:,.0f} "
        f"(target >= {TARGET_IMPORT_ROWS_PER_S:,} on a quiet machine: "
        f"{'met' if median['rows_per_s'] >= TARGET_IMPORT_ROWS_PER_S else 'NOT met'} here)"
    )
    return summary, verdict, url


def sqlite_databases(workdir: Path) -> Callable[[], str]:
    template = workdir / "template.db"
    _migrated(f"sqlite+aiosqlite:///{template}")
    path = workdir / "connectome.db"

    def fresh() -> str:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"

    return fresh


def postgres_databases(name: str) -> Callable[[], str]:
    """Database ``name`` on the PostgreSQL server, dropped and created again (and migrated)
    for each import."""

    def fresh() -> str:
        return _migrated(asyncio.run(_postgres.create_database(name, POSTGRES_SERVER)))

    return fresh


# -- queries -------------------------------------------------------------------------------------


def _pick_segments(db: Path) -> tuple[int, int, int, list[int]]:
    conn = sqlite3.connect(db)
    try:
        (m,) = conn.execute("SELECT max(id) FROM materialization WHERE valid").fetchone()
        ranked = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM segment WHERE materialization_id = ? "
                "ORDER BY nr_downstream_partner, id",
                (m,),
            )
        ]
    finally:
        conn.close()
    step = len(ranked) // BATCH
    return m, ranked[len(ranked) // 2], ranked[-1], ranked[::step][:BATCH]


class Floor:
    """The gateway's SQL for a question, through sqlite3 with nothing around it."""

    def __init__(self, db: Path, m: int) -> None:
        self.conn = sqlite3.connect(db, check_same_thread=False)
        self.m = m

    def top(self, segment_id: int) -> list[Any]:
        conn = self.conn
        conn.execute(SQL_MATERIALIZATION, (DATASET,)).fetchone()
        conn.execute(SQL_SEGMENTS, (self.m, f"[{segment_id}]")).fetchall()
        rows = conn.execute(SQL_TOP, (self.m, segment_id, TOP + 1)).fetchall()
        if len(rows) > TOP:
            conn.execute(SQL_COUNT, (self.m, segment_id)).fetchone()
        return rows[:TOP]

    def batch(self, ids: list[int]) -> list[Any]:
        conn = self.conn
        conn.execute(SQL_MATERIALIZATION, (DATASET,)).fetchone()
        return conn.execute(SQL_SEGMENTS, (self.m, json.dumps(ids))).fetchall()


class Http:
    """A keep-alive HTTP/1.1 client with as little Python as possible around the request."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port)

    def post(self, query: str, variables: dict[str, Any]) -> bytes:
        body = orjson.dumps({"query": query, "variables": variables})
        self.conn.request(
            "POST", "/graphql", body=body, headers={"Content-Type": "application/json"}
        )
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200 or b'"errors"' in payload:
            raise RuntimeError(f"HTTP {response.status}: {payload[:300]!r}")
        return payload


async def bench_queries(db: Path) -> list[tuple[str, list[Timing]]]:
    m, median_id, hub_id, batch_ids = _pick_segments(db)
    url = f"sqlite+aiosqlite:///{db}"
    settings = Settings(database_url=url, graphiql=False)
    engine = create_engine(url)
    sessionmaker = session_factory(engine)
    schema = build_schema(settings)
    floor = Floor(db, m)
    top_query, batch_query = TOP_QUERY % DATASET, BATCH_QUERY % DATASET
    all_query = ALL_QUERY % DATASET

    def context() -> Context:
        return Context.build(settings, sessionmaker)  # fresh per request, as the view does

    async def domain_top(segment_id: int) -> Any:
        ctx = context()
        ref = await connectome.resolve_materialization(ctx, DATASET)
        await connectome.get_segments(ctx, ref, [segment_id])
        return await partners(ctx, ref.id, segment_id, Direction.DOWNSTREAM, first=TOP)

    async def domain_batch() -> Any:
        return await connectome.segment_properties(context(), DATASET, batch_ids, BATCH_PROPERTIES)

    async def graphql(query: str, variables: dict[str, Any]) -> bytes:
        result = await schema.execute(query, variable_values=variables, context_value=context())
        if result.errors:
            raise RuntimeError(result.errors)
        return orjson.dumps({"data": result.data})

    def answered(segment_id: int, first: int | None = TOP) -> dict[str, Any]:
        return {"id": str(segment_id), "first": first}

    # Every layer gives the same answer as the floor before anything is timed.
    for segment_id in (median_id, hub_id):
        expected = [row[0] for row in floor.top(segment_id)]
        assert (await domain_top(segment_id)).ids == expected
        data = orjson.loads(await graphql(top_query, answered(segment_id)))
        got = data["data"]["dataset"]["segment"]["downstream"]["ids"]
        assert [int(i) for i in got] == expected
    assert len((await domain_batch()).results) == len(floor.batch(batch_ids)) == BATCH
    gc.collect()
    gc.freeze()

    batch_vars = {"ids": [str(i) for i in batch_ids]}
    results: list[tuple[str, list[Timing]]] = []
    for label, segment_id in (("median", median_id), ("hub", hub_id)):
        degree = (await domain_top(segment_id)).total
        hub_degree = degree

        def raw(s: int = segment_id) -> Any:
            return floor.top(s)

        def domain(s: int = segment_id) -> Awaitable[Any]:
            return domain_top(s)

        def in_process(s: int = segment_id) -> Awaitable[bytes]:
            return graphql(top_query, answered(s))

        timings = [
            measure("raw sqlite3 (floor)", raw, warmup=WARMUP, reps=REPS),
            await _async("domain functions", domain, REPS),
            await _async("GraphQL in process", in_process, REPS),
        ]
        results.append((f"top-{TOP} downstream partners, {label} segment ({degree:,})", timings))
    timings = [
        measure("raw sqlite3 (floor)", lambda: floor.batch(batch_ids), warmup=5, reps=BATCH_REPS),
        await _async("domain segment_properties", domain_batch, BATCH_REPS),
        await _async("GraphQL in process", lambda: graphql(batch_query, batch_vars), BATCH_REPS),
    ]
    results.append((f"properties of {BATCH:,} segments ({', '.join(BATCH_PROPERTIES)})", timings))
    hub_all = await _async(
        "GraphQL in process", lambda: graphql(all_query, answered(hub_id, None)), BATCH_REPS
    )
    results.append((f"every partner of the hub ({hub_degree:,}), `compact` JSON lists", [hub_all]))
    await engine.dispose()

    # A benchmark client is one anonymous caller asking thousands of times a minute.
    os.environ["NEUROGATE_RATE_LIMIT_ANONYMOUS"] = "1000000000/minute"
    with uvicorn_server(url) as base:
        client = Http(base)
        for (_, timings), variables, query in (
            (results[0], answered(median_id), top_query),
            (results[1], answered(hub_id), top_query),
            (results[2], batch_vars, batch_query),
            (results[3], answered(hub_id, None), all_query),
        ):
            reps = REPS if query is top_query else BATCH_REPS
            timings.append(
                measure(
                    "HTTP (uvicorn, 127.0.0.1)",
                    lambda v=variables, q=query: client.post(q, v),
                    warmup=WARMUP,
                    reps=reps,
                )
            )
        client.conn.close()
    floor.conn.close()
    return results


# The gateway's statements for the top-100 question on PostgreSQL, for its floor.
PG_MATERIALIZATION = SQL_MATERIALIZATION.replace("?", "$1").replace("IS 1", "IS true")
PG_SEGMENTS = f"""SELECT {SEGMENT_COLUMNS} FROM segment WHERE materialization_id = $1
  AND id = ANY($2::bigint[])"""
PG_TOP = SQL_TOP.replace("= ?", "= $1", 1).replace("pre_id = ?", "pre_id = $2").replace(
    "LIMIT ?", "LIMIT $3"
)
PG_COUNT = SQL_COUNT.replace("= ?", "= $1", 1).replace("pre_id = ?", "pre_id = $2")


async def bench_postgres_top(url: str) -> list[tuple[str, list[Timing]]]:
    """Top-100 downstream partners of a median and of a hub segment: asyncpg with the
    gateway's statements (the floor), the domain functions, and GraphQL over HTTP."""
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False
    ))
    m = await conn.fetchval("SELECT max(id) FROM materialization WHERE valid")
    ranked = [
        row[0]
        for row in await conn.fetch(
            "SELECT id FROM segment WHERE materialization_id = $1 "
            "ORDER BY nr_downstream_partner, id",
            m,
        )
    ]
    settings = Settings(database_url=url, graphiql=False)
    engine = create_engine(url)
    sessionmaker = session_factory(engine)
    top_query = TOP_QUERY % DATASET

    async def floor(segment_id: int) -> list[Any]:
        await conn.fetchrow(PG_MATERIALIZATION, DATASET)
        await conn.fetch(PG_SEGMENTS, m, [segment_id])
        rows = await conn.fetch(PG_TOP, m, segment_id, TOP + 1)
        if len(rows) > TOP:
            await conn.fetchval(PG_COUNT, m, segment_id)
        return rows[:TOP]

    async def domain(segment_id: int) -> Any:
        ctx = Context.build(settings, sessionmaker)
        ref = await connectome.resolve_materialization(ctx, DATASET)
        await connectome.get_segments(ctx, ref, [segment_id])
        return await partners(ctx, ref.id, segment_id, Direction.DOWNSTREAM, first=TOP)

    results: list[tuple[str, list[Timing]]] = []
    picks = (("median", ranked[len(ranked) // 2]), ("hub", ranked[-1]))
    for label, segment_id in picks:
        expected = [row[0] for row in await floor(segment_id)]
        found = await domain(segment_id)
        assert found.ids == expected
        timings = [
            await _async("raw asyncpg (floor)", lambda s=segment_id: floor(s), REPS),
            await _async("domain functions", lambda s=segment_id: domain(s), REPS),
        ]
        title = f"PostgreSQL: top-{TOP} downstream partners, {label} segment ({found.total:,})"
        results.append((title, timings))
    await engine.dispose()
    await conn.close()
    os.environ["NEUROGATE_RATE_LIMIT_ANONYMOUS"] = "1000000000/minute"
    with uvicorn_server(url) as base:
        client = Http(base)
        for (_, timings), (_, segment_id) in zip(results, picks, strict=True):
            variables = {"id": str(segment_id), "first": TOP}
            timings.append(
                measure(
                    "HTTP (uvicorn, 127.0.0.1)",
                    lambda v=variables: client.post(top_query, v),
                    warmup=WARMUP,
                    reps=REPS,
                )
            )
        client.conn.close()
    return results


async def _async(name: str, fn: Callable[[], Awaitable[object]], reps: int) -> Timing:
    return await measure_async(name, fn, warmup=min(WARMUP, reps), reps=reps)


def print_results(results: list[tuple[str, list[Timing]]]) -> None:
    for title, timings in results:
        print(f"\n{title}")
        floor = timings[0] if timings[0].name.startswith("raw") else None
        for timing in timings:
            ratio = f"   {timing.median / floor.median:6.2f}x floor" if floor else ""
            print(f"  {timing.row()}{ratio}")


def report(results: list[tuple[str, list[Timing]]]) -> list[str]:
    print_results(results)
    verdicts = []
    median_http = results[0][1][-1].median * 1e3
    batch_graphql = results[2][1][2].median * 1e3
    verdicts.append(
        f"top-{TOP} of a median segment over HTTP: {median_http:.2f} ms "
        f"(target < {TARGET_TOP_HTTP_MS:g} ms: "
        f"{'met' if median_http < TARGET_TOP_HTTP_MS else 'NOT met'})"
    )
    verdicts.append(
        f"{BATCH:,}-id property batch through GraphQL: {batch_graphql:.1f} ms "
        f"(target < {TARGET_BATCH_GRAPHQL_MS:g} ms: "
        f"{'met' if batch_graphql < TARGET_BATCH_GRAPHQL_MS else 'NOT met'})"
    )
    return verdicts


def main() -> None:
    data = _data_dir()
    workdir_root = Path(__file__).resolve().parent / "data"
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory(dir=workdir_root) as workdir:
        summary, verdict, _ = bench_import(data, sqlite_databases(Path(workdir)), "SQLite")
        print(summary, flush=True)
        verdicts.append(verdict)
        results = asyncio.run(bench_queries(Path(workdir) / "connectome.db"))
        verdicts += report(results)
    if POSTGRES_SERVER:
        name = f"ng_bench_connectome_{os.getpid()}"
        try:
            summary, verdict, url = bench_import(data, postgres_databases(name), "PostgreSQL")
            print(summary, flush=True)
            verdicts.append(verdict)
            pg_results = asyncio.run(bench_postgres_top(url))
        finally:
            asyncio.run(_postgres.drop_database(name, POSTGRES_SERVER))
        print_results(pg_results)
        http = pg_results[0][1][-1].median * 1e3
        met = "met" if http < TARGET_TOP_HTTP_MS else "NOT met"
        verdicts.append(
            f"PostgreSQL top-{TOP} of a median segment over HTTP: {http:.2f} ms "
            f"(target < {TARGET_TOP_HTTP_MS:g} ms: {met})"
        )
    print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
