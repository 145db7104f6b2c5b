"""Servers the benchmarks start: a process on a free port of 127.0.0.1, used once it answers.

A server has ``NEUROGATE_BENCH_START_SECONDS`` (default 120) to answer: on a loaded machine,
several uvicorn workers importing the gateway at once take far longer than one alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent


def start_seconds() -> float:
    """How long a server may take to answer its first request."""
    return float(os.environ.get("NEUROGATE_BENCH_START_SECONDS", "120"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system time of a process so far, all its threads (ended ones too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(
    args: Sequence[str],
    env: Mapping[str, str],
    output: IO[bytes] | None = None,
    start_limit: float | None = None,
) -> Iterator[tuple[str, int]]:
    """``python ARGS --port N`` with ``env`` added, once it answers HTTP on /healthz (any
    status: it is up); its base URL and process id. Stopped when the block ends. Its output
    goes to ``output`` when given (a server's request log), else to this process's;
    ``start_limit``: seconds it may take to answer (default :func:`start_seconds`)."""
    limit = start_seconds() if start_limit is None else start_limit
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *args, "--port", str(port)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=output,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + limit
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited with {proc.returncode}")
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not start within {limit} s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# The gateway's app arguments for :func:`uvicorn`, as `neurogate serve` serves it: with its own
# HTTP protocol (uvicorn's httptools one, uploads received in place).
GATEWAY_HTTP = "gateway.http.protocol:HttpProtocol"
GATEWAY = ["gateway.app:create_app", "--factory", "--http", GATEWAY_HTTP]


def uvicorn(
    app: Sequence[str], env: Mapping[str, str], *options: str
) -> AbstractContextManager[tuple[str, int]]:
    """``app`` (uvicorn's app arguments: ``["gateway.app:create_app", "--factory"]``) in a
    live uvicorn on 127.0.0.1 with quiet logs and ``options``."""
    quiet = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
    return serving(["-m", "uvicorn", *app, *options, *quiet], env)
