"""``neurogate serve --workers 2``, for real: ``/metrics`` adds up both workers whichever one
answers the scrape, keeps the counts of a worker killed with SIGKILL and drops its share of the
open-connections gauge once uvicorn has replaced it; every request is one JSON line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.live import free_port
from tests.shell.test_metrics import samples_of, value

NEUROGATE = str(Path(sys.executable).parent / "neurogate")
ROUTE = "/api/categories/"
# Serving more than one worker needs Redis once shared state lives there (issue 17).
REDIS_URL = "redis://127.0.0.1:6379/13"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def workers(self) -> set[int]:
        """uvicorn's worker processes (its supervisor's children that run the app)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(c) for c in children if b"spawn_main" in _cmdline(int(c))}

    def wait_for_workers(self, count: int, without: int | None = None) -> set[int]:
        deadline = time.monotonic() + 30
        while True:
            workers = self.workers()
            if len(workers) == count and without not in workers:
                return workers
            assert time.monotonic() < deadline, f"workers: {workers}"
            time.sleep(0.1)

    def lines(self) -> list[dict[str, object]]:
        """The server's JSON log lines (uvicorn's own lines are not JSON)."""
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def line_of(self, request_id: str) -> dict[str, object]:
        """The log line of the request ``request_id``: written once its answer has gone, so
        waited for (up to 30 s)."""
        deadline = time.monotonic() + 30
        while True:
            found = [line for line in self.lines() if line.get("request_id") == request_id]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no log line for request {request_id}"
            time.sleep(0.05)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


@contextmanager
def serving(database_url: str, folder: Path, workers: int) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "NEUROGATE_DATABASE_URL": database_url,
        "NEUROGATE_STORAGE_DIR": str(folder / "storage"),
        "NEUROGATE_REDIS_URL": REDIS_URL,
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": "1000000/minute",
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": "1000000/minute",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [NEUROGATE, "serve", "--workers", str(workers), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        if workers > 1:  # one worker is the server process itself
            server.wait_for_workers(workers)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _metrics_dir(worker: int) -> Path:
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    entry = next(e for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR="))
    return Path(entry.split(b"=", 1)[1].decode())


def _served_by(directory: Path, worker: int) -> float:
    """Requests to ROUTE that one worker counted, read from its own file."""
    path = directory / f"counter_{worker}.db"
    if not path.exists():
        return 0
    return sum(
        sample.value
        for metric in MultiProcessCollector.merge([str(path)], accumulate=False)
        for sample in metric.samples
        if sample.name == "neurogate_requests_total" and sample.labels.get("route") == ROUTE
    )


async def _fresh_connections(base: str, count: int, start: int) -> None:
    """``count`` requests at once, each on a connection of its own (so either worker may
    accept it)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        answers = await asyncio.gather(
            *(
                client.get(ROUTE, headers={"X-Request-ID": f"live-{start + i}"})
                for i in range(count)
            )
        )
    assert {a.status_code for a in answers} == {200}


async def _totals(base: str, scrapes: int) -> list[float]:
    """What ``scrapes`` scrapes, each on its own connection, count of requests to ROUTE."""
    limits = httpx.Limits(max_keepalive_connections=0)
    totals = []
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        for _ in range(scrapes):
            scraped = samples_of((await client.get("/metrics")).text)
            totals.append(
                sum(
                    v
                    for (name, labels), v in scraped.items()
                    if name == "neurogate_requests_total" and ("route", ROUTE) in labels
                )
            )
    return totals


async def test_two_workers_metrics_add_up_and_survive_a_killed_worker(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path, workers=2) as server:
        workers = server.wait_for_workers(2)
        directory = _metrics_dir(next(iter(workers)))
        assert directory.name.startswith("neurogate-metrics-")
        sent = 0
        # Until both workers have answered some (the kernel hands connections to either; a
        # worker still warming up on a loaded machine may take none for a while).
        deadline = time.monotonic() + 90
        while not all(_served_by(directory, w) for w in workers):
            assert time.monotonic() < deadline, [_served_by(directory, w) for w in workers]
            await _fresh_connections(server.base, 20, sent)
            sent += 20
        # A request is counted once its answer has gone: the last ones may still be on the way.
        deadline = time.monotonic() + 30
        while (counted := sum(_served_by(directory, w) for w in workers)) != sent:
            assert counted < sent and time.monotonic() < deadline, (counted, sent)
            time.sleep(0.05)
        assert await _totals(server.base, 6) == [sent] * 6  # whichever worker answers

        victim = min(workers)
        live_gauge = directory / f"gauge_livesum_{victim}.db"
        assert live_gauge.exists()
        os.kill(victim, signal.SIGKILL)
        replaced = server.wait_for_workers(2, without=victim)
        assert victim not in replaced
        # What the killed worker counted still counts; its live gauge is gone.
        assert await _totals(server.base, 6) == [sent] * 6
        assert not live_gauge.exists()
        async with httpx.AsyncClient(base_url=server.base) as client:
            gauge = samples_of((await client.get("/metrics")).text)
        assert value(gauge, "neurogate_subscription_connections") == 0

        lines = [server.line_of(f"live-{i}") for i in range(sent)]
        assert all(line.get("route") == ROUTE for line in lines)
        lines = [line for line in server.lines() if line.get("route") == ROUTE]
        assert sorted(str(line["request_id"]) for line in lines) == sorted(
            f"live-{i}" for i in range(sent)
        )
        assert all(line["status"] == 200 and line["surface"] == "brainmaps" for line in lines)
        assert all(isinstance(line["statements"], int) and line["statements"] > 0 for line in lines)


async def test_serve_logs_the_principal_never_the_token(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_user(sessionmaker, "lena@lab.org")
    token = await personal_token(sessionmaker, user, now=utcnow())
    with serving(database_url, tmp_path, workers=1) as server:
        async with httpx.AsyncClient(base_url=server.base) as client:
            asked = await client.get(
                "/api/auth/me/", headers={**bearer(token), "X-Request-ID": "who-1"}
            )
            assert asked.status_code == 200 and asked.headers["X-Request-ID"] == "who-1"
            made = await client.get("/healthz")
        given = server.line_of("who-1")
        assert (given["principal"], given["status"], given["surface"]) == (user, 200, "brainmaps")
        assert given["level"] == "INFO" and given["logger"] == "neurogate.requests"
        generated = server.line_of(made.headers["X-Request-ID"])  # generated, answered, logged
        assert generated["status"] == 200
        assert token not in server.log.read_text()
