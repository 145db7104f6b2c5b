"""neurogate beside PostGraphile 5 (Node 22, the amber preset) on the same PostgreSQL data.

Installs PostGraphile and a Node 22 runtime from the npm registry into ``bench/data/peer``
(ignored; once), loads the ``graphql_sessions`` data (50 projects, 5,000 subjects, 50,000
sessions, every project public, so both servers return the same rows) into a fresh PostgreSQL
database, starts both servers on 127.0.0.1 and, after checking that both give the same answers,
times them interleaved request by request:

* the nested 1,000 sessions ``{subject {nickname species {name}} project {name}}``;
* one session by id, 4 fields;
* 100 and 10,000 sessions, 4 fields each;
* the lookup's throughput with 16 clients on keep-alive connections (a bounded generator:
  a count and a time limit), for one neurogate worker and for two.

Each line ends with the ratio to PostGraphile (time: lower is better; throughput: higher)
and the machine's load average. Throughput is measured ``NEUROGATE_BENCH_THROUGHPUT_ROUNDS``
times (default 3) each, alternating, and the medians compared.
Run with ``python -m bench peer`` (the server: bench/_postgres.py; database
``NEUROGATE_BENCH_PEER_DATABASE``, default ``ng_bench_peer``, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._postgres import dsn, scratch_database
from bench._serve import GATEWAY, ROOT, free_port, start_seconds, uvicorn
from bench._timing import Timing, measure_interleaved
from bench.graphql_sessions import build_database

PEER_DIR = ROOT / "bench" / "data" / "peer"
PEER_PACKAGES = ["node@22", "postgraphile@5"]
DATABASE = os.environ.get("NEUROGATE_BENCH_PEER_DATABASE", "ng_bench_peer")
WARMUP = 5
REPS = 30
CLIENTS = 16
THROUGHPUT_SECONDS = 8.0
THROUGHPUT_MAX_REQUESTS = 200_000
THROUGHPUT_ROUNDS = int(os.environ.get("NEUROGATE_BENCH_THROUGHPUT_ROUNDS", "3"))

SESSION_ORDER = "orderBy: [START_TIME_DESC, ROW_ID_ASC]"  # neurogate's default order

# (name, neurogate's query, PostGraphile's query, rows of each answer in one comparable form)
Shape = Callable[[Any], list[tuple[Any, ...]]]


def _nested(rows: list[dict[str, Any]], subject: str, species: str, project: str) -> list[Any]:
    return [
        (
            row[subject]["nickname"] if row[subject] else None,
            row[subject][species]["name"] if row[subject] and row[subject][species] else None,
            row[project]["name"],
        )
        for row in rows
    ]


def _flat(rows: list[dict[str, Any]], key: str) -> list[Any]:
    return [(row[key], row["name"], row["number"]) for row in rows]


def _queries(session_id: str) -> list[tuple[str, dict[str, Any], dict[str, Any], Shape, Shape]]:
    nested_ng = (
        "{ sessions(limit: 1000) { subject { nickname species { name } } project { name } } }"
    )
    nested_pg = (
        f"{{ allSessions(first: 1000, {SESSION_ORDER}) {{ nodes {{ subjectBySubjectId "
        "{ nickname speciesBySpeciesId { name } } projectByProjectId { name } } } }"
    )

    def rows_ng(limit: int) -> str:
        return f"{{ sessions(limit: {limit}) {{ id name startTime number }} }}"

    def rows_pg(limit: int) -> str:
        nodes = "nodes { rowId name startTime number }"
        return f"{{ allSessions(first: {limit}, {SESSION_ORDER}) {{ {nodes} }} }}"

    lookup_ng = "query ($id: ID!) { session(id: $id) { id name startTime number } }"
    lookup_pg = "query ($id: UUID!) { sessionByRowId(rowId: $id) { rowId name startTime number } }"
    variables = {"id": session_id}
    return [
        (
            "nested 1,000 sessions",
            {"query": nested_ng},
            {"query": nested_pg},
            lambda d: _nested(d["sessions"], "subject", "species", "project"),
            lambda d: _nested(
                d["allSessions"]["nodes"],
                "subjectBySubjectId",
                "speciesBySpeciesId",
                "projectByProjectId",
            ),
        ),
        (
            "lookup by id, 4 fields",
            {"query": lookup_ng, "variables": variables},
            {"query": lookup_pg, "variables": variables},
            lambda d: _flat([d["session"]], "id"),
            lambda d: _flat([d["sessionByRowId"]], "rowId"),
        ),
        *(
            (
                f"{limit:,} sessions, 4 fields",
                {"query": rows_ng(limit)},
                {"query": rows_pg(limit)},
                lambda d: _flat(d["sessions"], "id"),
                lambda d: _flat(d["allSessions"]["nodes"], "rowId"),
            )
            for limit in (100, 10_000)
        ),
    ]


# -- the peer ----------------------------------------------------------------------------------


def install_peer() -> Any:
    """The folder of the peer's executables, installed from the npm registry the first time."""
    bin_dir = PEER_DIR / "node_modules" / ".bin"
    if not (bin_dir / "postgraphile").exists() or not (bin_dir / "node").exists():
        PEER_DIR.mkdir(parents=True, exist_ok=True)
        (PEER_DIR / "package.json").write_text('{"private": true}\n')
        print(f"installing {' '.join(PEER_PACKAGES)} into {PEER_DIR} ...", flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PEER_PACKAGES],
            cwd=PEER_DIR,
            check=True,
        )
    return bin_dir


@contextmanager
def postgraphile(bin_dir: Any, dsn: str) -> Iterator[str]:
    port = free_port()
    # The package's own node first on PATH: the CLI's "#!/usr/bin/env node" runs Node 22.
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "NODE_ENV": "production"}
    args = [str(bin_dir / "postgraphile"), "-P", "postgraphile/presets/amber", "-c", dsn]
    args += ["-s", "public", "-p", str(port), "-n", "127.0.0.1"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for(base: str, proc: subprocess.Popen[bytes]) -> None:
    limit = start_seconds()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"PostGraphile exited with {proc.returncode}")
        try:
            httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"PostGraphile did not start within {limit} s")


# -- measuring ---------------------------------------------------------------------------------


async def _answer(client: httpx.AsyncClient, base: str, body: dict[str, Any]) -> Any:
    response = await client.post(f"{base}/graphql", content=orjson.dumps(body),
                                 headers={"content-type": "application/json"})
    decoded = response.json()
    if response.status_code != 200 or "errors" in decoded:
        raise RuntimeError(f"{base}: HTTP {response.status_code}: {response.text[:300]}")
    return decoded["data"]


async def _throughput(base: str, body: dict[str, Any]) -> float:
    """Requests per second of ``CLIENTS`` keep-alive connections sending ``body`` back to back
    (raw HTTP/1.1, so the generator costs little of the shared CPU); stops after
    ``THROUGHPUT_SECONDS`` or ``THROUGHPUT_MAX_REQUESTS``."""
    host, port = base.removeprefix("http://").split(":")
    payload = orjson.dumps(body)
    request = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    done = 0
    stop = time.perf_counter() + THROUGHPUT_SECONDS

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop and done < THROUGHPUT_MAX_REQUESTS:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head.decode(errors="replace"))
                length = _content_length(head)
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return done / (time.perf_counter() - started)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError("a chunked answer: this generator reads Content-Length bodies only")


async def _compare_and_time(ng: str, pg: str, session_id: str) -> list[tuple[Timing, Timing]]:
    rows = []
    async with httpx.AsyncClient(timeout=60) as client:
        for name, ng_body, pg_body, ng_shape, pg_shape in _queries(session_id):
            mine, theirs = ng_shape(await _answer(client, ng, ng_body)), pg_shape(
                await _answer(client, pg, pg_body)
            )
            if mine != theirs:
                raise SystemExit(f"{name}: the answers differ ({len(mine)} vs {len(theirs)} rows)")
            reps = REPS if "10,000" not in name else max(5, REPS // 3)
            timings = await measure_interleaved(
                {
                    f"{name} neurogate": lambda b=ng_body: _answer(client, ng, b),
                    f"{name} PostGraphile": lambda b=pg_body: _answer(client, pg, b),
                },
                warmup=WARMUP,
                reps=reps,
            )
            ours, peer = timings.values()
            rows.append((ours, peer))
            ratio = ours.median / peer.median
            print(ours.row(), f"  {ratio:5.2f}x PostGraphile  {_load()}", flush=True)
            print(peer.row(), flush=True)
    return rows


async def _with_peer_index(engine: AsyncEngine) -> None:
    await build_database(engine)
    async with engine.begin() as conn:
        # PostGraphile's START_TIME_DESC is PostgreSQL's plain DESC (NULL first): the index
        # its deployer would add, so each server reads its own order off an index (the data
        # hold no NULL start time, so both orders give the same rows).
        await conn.exec_driver_sql(
            "CREATE INDEX peer_session_order ON session (start_time DESC, id)"
        )


def _neurogate(url: str, workers: int) -> Any:
    env = {
        "NEUROGATE_DATABASE_URL": url,
        "NEUROGATE_MAX_PAGE_SIZE": "10000",
        "NEUROGATE_GRAPHIQL": "false",
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": "100000000/minute",
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": "100000000/minute",
    }
    options = ["--workers", str(workers)] if workers > 1 else []
    return uvicorn(GATEWAY, env, *options)


async def _run() -> None:
    bin_dir = install_peer()
    node = subprocess.run([str(bin_dir / "node"), "--version"], capture_output=True, text=True)
    print(f"PostGraphile 5 (amber preset) on Node {node.stdout.strip()}; loading the data ...")
    async with scratch_database(DATABASE, _with_peer_index) as url:
        conn = await asyncpg.connect(dsn(url))
        session_id = str(await conn.fetchval("SELECT id FROM session ORDER BY id LIMIT 1"))
        await conn.close()
        lookup = next(q for q in _queries(session_id) if q[0].startswith("lookup"))
        with postgraphile(bin_dir, dsn(url)) as pg:
            with _neurogate(url, 1) as (ng, _):
                await _compare_and_time(ng, pg, session_id)
                await _throughputs(ng, pg, lookup, "1 worker")
            with _neurogate(url, 2) as (ng, _):
                await _throughputs(ng, pg, lookup, "2 workers")


async def _throughputs(ng: str, pg: str, lookup: Any, workers: str) -> None:
    peers, ours = [], []
    for _ in range(THROUGHPUT_ROUNDS):
        peers.append(await _throughput(pg, lookup[2]))
        ours.append(await _throughput(ng, lookup[1]))
    mine, peer = statistics.median(ours), statistics.median(peers)
    print(
        f"lookup, {CLIENTS} clients: neurogate ({workers}) {mine:7.0f} req/s, PostGraphile "
        f"{peer:7.0f} req/s (medians of {THROUGHPUT_ROUNDS}): {mine / peer:5.2f}x PostGraphile"
        f"  {_load()}",
        flush=True,
    )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"(load {one:.2f}, {five:.2f})"


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
