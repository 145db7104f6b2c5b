"""A bounded load, and a worker killed under it: ``neurogate serve`` with 1 worker, then 2.

One fresh PostgreSQL database (created on the server of ``NEUROGATE_BENCH_POSTGRES_URL``,
dropped at the end), migrated and filled with the demo data set, plus 1 reviewer and 8
submitters with passwords; Redis at ``NEUROGATE_BENCH_REDIS_URL``. The gateway is the real
command, ``neurogate serve --workers N``, on 127.0.0.1, its request log written to a file.

The load: ``GENERATORS`` processes, each keeping ``CONCURRENCY`` requests in flight on its own
keep-alive connections, for ``NEUROGATE_BENCH_LOAD_SECONDS`` (after a warm-up that is not
counted) and at most ``MAX_REQUESTS`` requests each, to 127.0.0.1 only. Every request is one of
a realistic mix (:data:`MIX`): a nested GraphQL read, a BrainSTEM list with ``include[]``, a
BrainCircuits property batch, a species proposal, a review of an earlier proposal (accept or
reject), a small file upload through GraphQL's multipart request. An answer counts as a
success only when it is the answer that request must get (status, no ``errors``, the record's
id); everything else is an error, by kind.

Runs: the generators' ceiling (``GET /healthz``, 2 workers: what the load generator itself can
drive on this machine), 1 worker, 2 workers, and 2 workers again with one worker SIGKILLed
while the load runs; uvicorn's supervisor starts a new one. Printed for each: requests per
second, p50/p99 latency, errors by kind (in the kill run, requests sent before the kill whose
connection it cut are counted apart: they are the killed worker's requests in flight; a request
sent after it that fails is an error).
Then every write a client saw acknowledged (proposals, reviews, uploads, their ids in the
answers) is looked up in the database: counted, and the lost ones printed. The scaling ratio
is the 2-worker run's throughput over the 1-worker run's (the floor, measured in the same run).

Run with ``python -m bench load``. Everything shares this machine's cores: the generators, the
gateway's workers, PostgreSQL and Redis (and whatever else is running: the load average is
printed with each run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from sqlalchemy import text

from bench import _postgres
from bench._serve import cpu_seconds, serving, start_seconds
from gateway.auth.passwords import hash_password
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.db.models import User
from gateway.storage import Storage

ADMIN_URL = _postgres.server() or _postgres.DEFAULT_SERVER  # the load needs PostgreSQL
REDIS_URL = os.environ.get("NEUROGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECONDS = float(os.environ.get("NEUROGATE_BENCH_LOAD_SECONDS", "20"))
WARMUP_SECONDS = 3.0
GENERATORS, CONCURRENCY = 2, 8
MAX_REQUESTS = 50_000  # per generator: the run stops at this count or at its time, first
KILL_AT = 0.4  # share of the measured time after which one worker is killed
TARGET_SCALING = 1.4  # stated by the issue; reported, never enforced
UNTHROTTLED = "1000000000/minute"
PASSWORD = "load-bench-password-1"
SUBMITTERS = 8
DATASET = "fruitfly_fafb_flywire"

# (kind, weight): reads most, writes a third of the requests.
MIX = [
    ("graphql_nested", 30),
    ("rest_include", 20),
    ("braincircuits", 15),
    ("propose", 12),
    ("review", 10),
    ("upload", 13),
]
NESTED = """query Nested { projects(limit: 10) { name sessions(limit: 5) {
  name startTime subject { nickname species { name category { name } } } } } }"""
PROPOSE = """mutation Propose($name: String!) { proposeSpecies(input: {name: $name}) {
  __typename ... on Approval { id } } }"""
REVIEW = """mutation Review($id: ID!, $d: ReviewDecision!) { reviewApproval(id: $id, decision: $d) {
  __typename ... on Approval { id status } } }"""
UPLOAD = """mutation Upload($file: Upload!) { uploadFile(file: $file) {
  __typename ... on FileUpload { id sha256 } } }"""


# -- the load generator (one process each) -----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    base: str
    path: str  # "/healthz" for the ceiling run; "" for the mix
    submitter_tokens: list[str]
    reviewer_token: str
    segments: list[str]
    measure_from: float  # wall clock: samples before it are the warm-up
    until: float
    seed: int


@dataclass
class Outcome:
    # Measured successes: (kind, seconds).
    samples: list[tuple[str, float]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    # Requests whose connection was cut: (wall time sent, wall time it failed).
    cut: list[tuple[float, float]] = field(default_factory=list)
    sent: int = 0
    proposed: list[str] = field(default_factory=list)  # approval ids acknowledged
    reviewed: dict[str, str] = field(default_factory=dict)  # approval id -> status answered
    uploaded: dict[int, str] = field(default_factory=dict)  # file upload id -> sha256


class Refused(Exception):
    """The answer was not the one the request must get."""


def _started(_: int) -> None:
    time.sleep(0.5)  # long enough that each generator process takes one


def drive(plan: Plan) -> Outcome:
    return asyncio.run(_drive(plan))


async def _drive(plan: Plan) -> Outcome:
    assert urlsplit(plan.base).hostname == "127.0.0.1", "load is sent to 127.0.0.1 only"
    outcome = Outcome()
    rng = random.Random(plan.seed)
    pending: list[str] = []  # this generator's proposals, to review
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=plan.base, limits=limits, timeout=30) as client:

        async def one_client() -> None:
            while time.time() < plan.until and outcome.sent < MAX_REQUESTS:
                outcome.sent += 1
                kind = "healthz" if plan.path else _pick(rng, pending)
                started, wall = time.perf_counter(), time.time()
                try:
                    await _request(client, plan, kind, rng, pending, outcome)
                except httpx.TransportError as exc:
                    outcome.cut.append((wall, time.time()))
                    outcome.errors[f"{kind}: {type(exc).__name__}"] += 1
                    continue
                except Refused as exc:
                    outcome.errors[f"{kind}: {exc}"] += 1
                    continue
                if plan.measure_from <= wall and time.time() <= plan.until:
                    outcome.samples.append((kind, time.perf_counter() - started))

        await asyncio.gather(*(one_client() for _ in range(CONCURRENCY)))
    return outcome


def _pick(rng: random.Random, pending: list[str]) -> str:
    kinds = [k for k, _ in MIX]
    weights = [w for k, w in MIX]
    kind = rng.choices(kinds, weights)[0]
    return "propose" if kind == "review" and not pending else kind


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _graphql(
    client: httpx.AsyncClient, query: str, token: str | None, **variables: Any
) -> Any:
    headers = _bearer(token) if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return _data(response)


def _data(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise Refused(f"HTTP {response.status_code}")
    body = response.json()
    if body.get("errors"):
        raise Refused(str(body["errors"][0].get("extensions", {}).get("code")))
    return body["data"]


async def _request(
    client: httpx.AsyncClient,
    plan: Plan,
    kind: str,
    rng: random.Random,
    pending: list[str],
    outcome: Outcome,
) -> None:
    submitter = rng.choice(plan.submitter_tokens)
    if kind == "healthz":
        if (await client.get(plan.path)).status_code != 200:
            raise Refused("not 200")
    elif kind == "graphql_nested":
        data = await _graphql(client, NESTED, rng.choice([None, submitter]))
        if not data["projects"]:
            raise Refused("no projects")
    elif kind == "rest_include":
        response = await client.get(
            "/api/private/stem/session/?include[]=projects.*&limit=20", headers=_bearer(submitter)
        )
        if response.status_code != 200 or not response.json()["sessions"]:
            raise Refused(f"HTTP {response.status_code}")
    elif kind == "braincircuits":
        batch = rng.sample(plan.segments, min(20, len(plan.segments)))
        response = await client.post(
            f"/circuit/segment/property/connectivity?project={DATASET}", json={"segments": batch}
        )
        if response.status_code != 200 or not response.json()["results"]:
            raise Refused(f"HTTP {response.status_code}")
    elif kind == "propose":
        name = f"Loadus {uuid.uuid4().hex[:16]}"
        answer = (await _graphql(client, PROPOSE, submitter, name=name))["proposeSpecies"]
        if answer["__typename"] != "Approval":
            raise Refused(answer["__typename"])
        outcome.proposed.append(answer["id"])
        pending.append(answer["id"])
    elif kind == "review":
        approval = pending.pop(rng.randrange(len(pending)))
        decision = rng.choice(["ACCEPT", "REJECT"])
        answer = (await _graphql(client, REVIEW, plan.reviewer_token, id=approval, d=decision))
        reviewed = answer["reviewApproval"]
        if reviewed["__typename"] != "Approval":
            raise Refused(reviewed["__typename"])
        outcome.reviewed[reviewed["id"]] = reviewed["status"]
    elif kind == "upload":
        content = rng.randbytes(rng.randrange(1024, 8192))
        operations = {"query": UPLOAD, "variables": {"file": None}}
        files = {
            "operations": (None, json.dumps(operations).encode(), "application/json"),
            "map": (None, b'{"0": ["variables.file"]}', "application/json"),
            "0": ("load.bin", content, "application/octet-stream"),
        }
        headers = {**_bearer(submitter), "Apollo-Require-Preflight": "true"}
        response = await client.post("/graphql", files=files, headers=headers)
        answer = _data(response)["uploadFile"]
        if answer["__typename"] != "FileUpload":
            raise Refused(answer["__typename"])
        outcome.uploaded[int(answer["id"])] = answer["sha256"]


# -- the database, the users and the server ----------------------------------------------------


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run; dropped afterwards."""
    name = f"ng_bench_load_{uuid.uuid4().hex[:10]}"
    url = asyncio.run(_postgres.create_database(name, ADMIN_URL))
    try:
        yield url
    finally:
        asyncio.run(_postgres.drop_database(name, ADMIN_URL))


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _add_users_and_read(url: str) -> tuple[list[str], dict[str, int]]:
    """Add the reviewer and the submitters; a sample of segment ids, and the data's size."""
    engine = create_engine(url)
    try:
        password = hash_password(PASSWORD)  # one Argon2id hash: the users share the password
        async with session_factory(engine)() as session:
            for name, reviewer in [("rev", True), *((f"s{i}", False) for i in range(SUBMITTERS))]:
                email = f"{name}@load.bench"
                session.add(
                    User(email=email, username=name, password_hash=password, is_reviewer=reviewer)
                )
            await session.commit()
        async with engine.connect() as conn:
            segments = [
                str(row[0])
                for row in await conn.execute(text("SELECT id FROM segment ORDER BY id LIMIT 200"))
            ]
            sizes = {
                table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                for table in ("project", "session", "subject", "species", "segment", "connection")
            }
        return segments, sizes
    finally:
        await engine.dispose()


async def _verify(
    url: str, storage: Storage, outcomes: list[Outcome]
) -> dict[str, tuple[int, int]]:
    """Acknowledged writes by kind: (acknowledged, found as answered: in the database, and an
    upload's content in storage)."""
    proposed = [uuid.UUID(i) for o in outcomes for i in o.proposed]
    reviewed = {uuid.UUID(i): s for o in outcomes for i, s in o.reviewed.items()}
    uploaded = {i: sha for o in outcomes for i, sha in o.uploaded.items()}
    conn = await asyncpg.connect(_postgres.dsn(url))
    try:
        found = await conn.fetchval("SELECT count(*) FROM approval WHERE id = ANY($1)", proposed)
        rows = await conn.fetch(
            "SELECT id, status FROM approval WHERE id = ANY($1)", list(reviewed)
        )
        statuses = {row["id"]: row["status"] for row in rows}
        reviews_kept = sum(
            1 for i, s in reviewed.items() if statuses.get(i, "").upper() == s.upper()
        )
        rows = await conn.fetch(
            "SELECT id, sha256 FROM file_upload WHERE id = ANY($1)", list(uploaded)
        )
        uploads_kept = sum(
            1
            for row in rows
            if uploaded[row["id"]] == row["sha256"]
            and storage.content_path(row["sha256"]).is_file()
        )
    finally:
        await conn.close()
    return {
        "proposals": (len(proposed), int(found)),
        "reviews": (len(reviewed), reviews_kept),
        "uploads": (len(uploaded), uploads_kept),
    }


def _tokens(base: str) -> tuple[list[str], str]:
    def login(email: str) -> str:
        response = httpx.post(
            f"{base}/api/auth/token/", json={"email": email, "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["access"])

    return [login(f"s{i}@load.bench") for i in range(SUBMITTERS)], login("rev@load.bench")


def _workers(server: int) -> set[int]:
    """uvicorn's worker processes: its supervisor's children running the app."""
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    found = set()
    for child in children:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(int(child))
        except FileNotFoundError:
            pass
    return found


def _server_cpu(server: int) -> float:
    return sum(cpu_seconds(pid) for pid in {server, *_workers(server)})


def _wait_for_workers(server: int, count: int, without: int | None = None) -> float:
    """Seconds until ``server`` runs ``count`` workers, ``without`` not among them."""
    started = time.monotonic()
    while True:
        workers = _workers(server)
        if len(workers) == count and without not in workers:
            return time.monotonic() - started
        if time.monotonic() - started > 60:
            raise RuntimeError(f"uvicorn runs workers {workers}, not {count}")
        time.sleep(0.05)


# -- runs ----------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    seconds: float
    outcomes: list[Outcome]
    load: tuple[float, float]  # the machine's 1-minute load average before and after
    killed_at: float | None = None
    restarted_in: float | None = None
    # CPU seconds the server (supervisor and workers) used in the measured time: the cores
    # it got on a shared machine. Not for the kill run (a killed worker's time is gone).
    server_cpu: float | None = None

    @property
    def latencies(self) -> list[float]:
        return sorted(x for o in self.outcomes for _, x in o.samples)

    def medians(self) -> str:
        """Each kind's median latency and count."""
        by_kind: dict[str, list[float]] = {}
        for outcome in self.outcomes:
            for kind, seconds in outcome.samples:
                by_kind.setdefault(kind, []).append(seconds)
        return ", ".join(
            f"{kind} {statistics.median(xs) * 1e3:.0f} ms (n={len(xs)})"
            for kind, xs in sorted(by_kind.items())
        )

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def errors(self) -> tuple[Counter[str], int]:
        """Errors by kind, and how many were the killed worker's requests in flight (sent
        before the kill, cut after it; not among the errors)."""
        errors: Counter[str] = Counter()
        for outcome in self.outcomes:
            errors.update(outcome.errors)
        cut_by_kill = 0
        killed = self.killed_at
        if killed is not None:
            cut_by_kill = sum(
                1 for o in self.outcomes for sent, cut in o.cut if sent <= killed <= cut
            )
            # The kill's cuts are taken off the transport errors they were counted under.
            remaining = cut_by_kill
            for key in [k for k in errors if k.split(": ", 1)[1].endswith("Error")]:
                taken = min(errors[key], remaining)
                errors[key] -= taken
                remaining -= taken
            errors = +errors
        return errors, cut_by_kill

    def row(self) -> str:
        ordered = self.latencies
        p50 = statistics.median(ordered) if ordered else float("nan")
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0
        errors, cut = self.errors()
        text = (
            f"{self.name:<34} {self.throughput:8.1f} req/s   p50 {p50 * 1e3:7.1f} ms   "
            f"p99 {p99 * 1e3:7.1f} ms   n={len(ordered):6d}   errors {sum(errors.values())}"
        )
        if self.killed_at is not None:
            text += (
                f"   (+{cut} in flight on the killed worker; "
                f"a new worker started {self.restarted_in:.1f} s after the kill)"
            )
        if self.server_cpu is not None:
            text += (
                f"   server CPU {self.server_cpu / self.seconds:.2f} cores, "
                f"{self.server_cpu / max(1, len(ordered)) * 1e3:.1f} ms/request"
            )
        text += f"   load {self.load[0]:.1f}->{self.load[1]:.1f}"
        return text


def _run(
    name: str,
    base: str,
    server: int,
    tokens: tuple[list[str], str],
    segments: list[str],
    *,
    path: str = "",
    seconds: float = SECONDS,
    kill: bool = False,
) -> Run:
    load_before = os.getloadavg()[0]
    run = Run(name, seconds, [], (load_before, load_before))
    with ProcessPoolExecutor(GENERATORS, mp_context=get_context("spawn")) as pool:
        # The generators' processes are started (and have imported this module) before the
        # clock starts: on a loaded machine that takes seconds.
        list(pool.map(_started, range(GENERATORS)))
        measure_from = time.time() + WARMUP_SECONDS
        until = measure_from + seconds
        plans = [
            Plan(base, path, tokens[0], tokens[1], segments, measure_from, until, seed=i)
            for i in range(GENERATORS)
        ]
        futures = [pool.submit(drive, plan) for plan in plans]
        if kill:
            time.sleep(max(0.0, measure_from + KILL_AT * seconds - time.time()))
            victim = min(_workers(server))
            os.kill(victim, signal.SIGKILL)
            run.killed_at = time.time()
            run.restarted_in = _wait_for_workers(server, 2, without=victim)
        else:
            time.sleep(max(0.0, measure_from - time.time()))
            used = _server_cpu(server)
            time.sleep(max(0.0, until - time.time()))
            run.server_cpu = _server_cpu(server) - used
        run.outcomes = [f.result() for f in futures]
    run.load = (load_before, os.getloadavg()[0])
    return run


def _cores(run: Run) -> float:
    return (run.server_cpu or 0.0) / run.seconds


@contextmanager
def _serve(url: str, workdir: Path, workers: int) -> Iterator[tuple[str, int]]:
    env = {
        "NEUROGATE_DATABASE_URL": url,
        "NEUROGATE_STORAGE_DIR": str(workdir / "storage"),
        "NEUROGATE_REDIS_URL": REDIS_URL,
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": UNTHROTTLED,
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": UNTHROTTLED,
        "NEUROGATE_GRAPHIQL": "false",
    }
    neurogate = str(Path(sys.executable).parent / "neurogate")
    log = workdir / f"serve-{workers}.log"
    command = [neurogate, "serve", "--workers", str(workers)]
    with (
        log.open("ab") as out,
        # A loaded machine takes its time to start the workers.
        serving(command, env, output=out, start_limit=max(180, start_seconds())) as served,
    ):
        if workers > 1:
            _wait_for_workers(served[1], workers)
        yield served


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="neurogate-load-"))
    runs: list[Run] = []
    try:
        with fresh_database() as url:
            asyncio.run(_migrate(url))
            env = {**os.environ, "NEUROGATE_DATABASE_URL": url,
                   "NEUROGATE_STORAGE_DIR": str(workdir / "storage")}
            neurogate = str(Path(sys.executable).parent / "neurogate")
            subprocess.run([neurogate, "seed-demo"], env=env, check=True, stdout=subprocess.DEVNULL)
            segments, sizes = asyncio.run(_add_users_and_read(url))
            print(f"database: fresh PostgreSQL, demo data {sizes}, {SUBMITTERS + 1} users")
            print(
                f"load: {GENERATORS} generator processes x {CONCURRENCY} requests in flight, "
                f"{WARMUP_SECONDS:.0f} s warm-up + {SECONDS:.0f} s measured (at most "
                f"{MAX_REQUESTS} requests each); mix {dict(MIX)}; {os.cpu_count()} cores"
            )
            with _serve(url, workdir, 2) as (base, server):
                tokens = _tokens(base)
                runs.append(
                    _run("generators' ceiling (/healthz, 2w)", base, server, tokens, segments,
                         path="/healthz", seconds=5)
                )
                print(runs[-1].row(), flush=True)
            for workers, kill in ((1, False), (2, False), (2, True)):
                with _serve(url, workdir, workers) as (base, server):
                    tokens = _tokens(base)
                    name = f"mix, {workers} worker{'s' if workers > 1 else ''}"
                    name += ", one SIGKILLed" if kill else ""
                    runs.append(_run(name, base, server, tokens, segments, kill=kill))
                    print(runs[-1].row(), flush=True)
                    print(f"  medians: {runs[-1].medians()}", flush=True)
            one, two = runs[1], runs[2]
            print(
                f"scaling: 2 workers / 1 worker = {two.throughput / one.throughput:.2f}x "
                f"(target {TARGET_SCALING}x); the server got "
                f"{_cores(one):.2f} cores with 1 worker, {_cores(two):.2f} with 2"
            )
            for run in runs[1:]:
                errors, _ = run.errors()
                if errors:
                    print(f"  errors in '{run.name}': {dict(errors)}")
            storage = Storage(workdir / "storage", max_bytes=0)
            every = [o for r in runs[1:] for o in r.outcomes]
            written = asyncio.run(_verify(url, storage, every))
            lost = sum(a - f for a, f in written.values())
            print(
                "acknowledged writes found in the database: "
                + ", ".join(f"{k} {f}/{a}" for k, (a, f) in written.items())
                + f"; lost: {lost}"
            )
            kill_run = runs[3]
            kill_written = asyncio.run(_verify(url, storage, kill_run.outcomes))
            print(
                "  of which in the kill run: "
                + ", ".join(f"{k} {f}/{a}" for k, (a, f) in kill_written.items())
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
