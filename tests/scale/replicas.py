"""Real ``neurogate serve`` processes, and a private Redis a test may stop and start.

Replicas are separate operating-system processes started through the command users run, on
ports of their own, sharing the test's database and one Redis under a key prefix of the
test's own (the machine's Redis is shared with other test runs: never flushed, never stopped).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from tests.live import free_port

# The machine's Redis (CI's .ci/run starts it), shared: each test takes a prefix of its own.
REDIS_URL = os.environ.get("NEUROGATE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
NEUROGATE = str(Path(sys.executable).parent / "neurogate")
# Starting imports the whole schema: on a loaded two-core machine that takes a while.
START_SECONDS = 90.0
# Everything a test does not set: no limit in the way, credentials re-checked quickly.
DEFAULTS = {
    "NEUROGATE_RATE_LIMIT_ANONYMOUS": "100000/minute",
    "NEUROGATE_RATE_LIMIT_AUTHENTICATED": "100000/minute",
    "NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS": "0.3",
}


def base_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any NEUROGATE_* of its own, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUROGATE_")}
    return {**env, **DEFAULTS, **settings}


@dataclass
class Replica:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serving(
    name: str, folder: Path, env: dict[str, str], *args: str, under: Sequence[str] = ()
) -> Iterator[Replica]:
    """``neurogate serve`` on a free port, until the block ends; its output goes to a log.
    ``under``: a command it runs under (``["prlimit", "--fsize=N"]``)."""
    port = free_port()
    log_path = folder / f"{name}.log"
    storage = folder / f"{name}-storage"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*under, NEUROGATE, "serve", "--port", str(port), *args],
            env={**env, "NEUROGATE_STORAGE_DIR": str(storage)},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    replica = Replica(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_healthy(replica)
        yield replica
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(replica: Replica) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"neurogate serve exited:\n{replica.log()}")
        try:
            if httpx.get(replica.base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"neurogate serve did not start in time:\n{replica.log()}")


@contextmanager
def deployment(database_url: str, redis_url: str, **settings: str) -> Iterator[dict[str, str]]:
    """The environment of processes sharing one database and one Redis under a fresh key
    prefix, whose keys are deleted afterwards."""
    prefix = f"ngtest-{uuid.uuid4().hex[:12]}"
    try:
        yield base_environment(
            NEUROGATE_DATABASE_URL=database_url,
            NEUROGATE_REDIS_URL=redis_url,
            NEUROGATE_REDIS_PREFIX=prefix,
            **settings,
        )
    finally:
        delete_keys(redis_url, prefix)


@contextmanager
def replicas(
    count: int, folder: Path, database_url: str, redis_url: str, **settings: str
) -> Iterator[list[Replica]]:
    """``count`` replicas (each ``neurogate serve``) of one :func:`deployment`."""
    with deployment(database_url, redis_url, **settings) as env, ExitStack() as stack:
        yield [stack.enter_context(serving(f"replica{i}", folder, env)) for i in range(count)]


def delete_keys(redis_url: str, prefix: str) -> None:
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        with client:
            for key in client.scan_iter(match=f"{prefix}:*"):
                client.delete(key)
    except redis.ConnectionError:
        pass  # a private Redis the test already stopped: nothing is left in it


@dataclass
class PrivateRedis:
    """A redis-server of the test's own on a free port (no persistence), to stop and start."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        with client:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    assert time.monotonic() < deadline, "the private redis-server did not start"
                    time.sleep(0.05)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)
        self.process = None


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.stop()
