"""A 1 GiB upload over HTTP to a live uvicorn, against ``cp`` of the same file on the same disk.

* gateway: GraphQL multipart ``uploadFile`` to ``python -m uvicorn gateway.app:create_app
  --factory`` on 127.0.0.1; the server streams the file into its storage directory (in
  ``bench/data/``) with sha256 and fsync. Between runs the file's first bytes change, so every
  upload is new content, not deduplicated.
* floors, measured in the same run: ``cp`` of the file within ``bench/data/`` (the issue's
  yardstick; GNU cp copies in the kernel, page cache to page cache, without fsync), ``cp``
  followed by an fsync of the copy (the durability the gateway gives before it commits), and
  the same HTTP upload to a bare ASGI app under uvicorn that discards the body (what HTTP
  through uvicorn costs before the gateway does any work).
* the server's peak resident memory during the uploads (``VmHWM`` of the uvicorn process, reset
  through ``/proc/<pid>/clear_refs`` once the app has started), and while it started.

The client streams the body from disk with ``sendfile`` (it never holds the file, and spends
next to no CPU, which matters when client and server share a small machine); every timing is
the median of 3. Targets (the issue's; reported, never enforced): throughput at least half of
``cp``'s, peak memory under 150 MB whatever the file size. ``NEUROGATE_BENCH_UPLOAD_MIB``
changes the size; ``NEUROGATE_BENCH_HTTPX=1`` uploads with httpx (a generator body) instead.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import orjson

from gateway.auth.passwords import hash_password
from gateway.auth.tokens import TokenKind, display_prefix, hash_secret, new_secret
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.db.models import Token, User
from gateway.db.models._base import utcnow

SIZE_MIB = int(os.environ.get("NEUROGATE_BENCH_UPLOAD_MIB", "1024"))
REPS = 3
READ_BYTES = 1 << 20
TARGET_RATIO = 0.5
TARGET_PEAK_MB = 150.0
UPLOAD = """mutation($file: Upload!) {
  uploadFile(file: $file) { __typename ... on FileUpload { id size sha256 } }
}"""
BOUNDARY = "neurogate-bench-boundary"


def _make_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for _ in range(size // READ_BYTES):
            out.write(os.urandom(READ_BYTES))


def _time_cp(source: Path, workdir: Path, *, fsync: bool) -> float:
    samples = []
    for i in range(REPS):
        target = workdir / f"copy-{i}.bin"
        start = time.perf_counter()
        subprocess.run(["cp", str(source), str(target)], check=True)
        if fsync:
            fd = os.open(target, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        samples.append(time.perf_counter() - start)
        target.unlink()
    return statistics.median(samples)


async def discard_body(scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
    """The HTTP floor: a bare ASGI app that reads the request body and drops it."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    received = 0
    more = True
    while more:
        message = await receive()
        received += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = orjson.dumps({"received": received})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def _prepare_database(url: str) -> str:
    """A migrated database with one user; returns a personal access token of theirs."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        secret = new_secret(TokenKind.PERSONAL)
        async with session_factory(engine)() as session:
            user = User(email="bench@x.org", username="bench", password_hash=hash_password("x"))
            session.add(user)
            await session.flush()
            assert user.id is not None
            now = utcnow()
            session.add(
                Token(
                    user_id=user.id,
                    kind=TokenKind.PERSONAL.value,
                    name="bench",
                    secret_hash=hash_secret(secret),
                    prefix=display_prefix(secret),
                    created_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
            await session.commit()
        return secret
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _uvicorn(app: list[str], env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A uvicorn serving ``app``; yields its base URL and process id."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", *app,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, cwd=Path(__file__).resolve().parent.parent
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}")
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} for process {pid}")


def _multipart(source: Path) -> tuple[bytes, bytes]:
    """What goes before and after the file's bytes in a GraphQL multipart request."""
    operations = orjson.dumps({"query": UPLOAD, "variables": {"file": None}})
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'.encode()
        + operations
        + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'.encode()
        + b'{"0": ["variables.file"]}'
        + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; '
        f'filename="{source.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    )
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def _headers(token: str, length: int) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Apollo-Require-Preflight": "true",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
    }


def _post_sendfile(base: str, token: str, source: Path) -> tuple[float, bytes]:
    """Seconds to upload ``source`` (the file's bytes go by ``sendfile``), and the answer."""
    head, tail = _multipart(source)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    start = time.perf_counter()
    conn.putrequest("POST", "/graphql")
    for name, value in _headers(token, len(head) + source.stat().st_size + len(tail)).items():
        conn.putheader(name, value)
    conn.endheaders(head)
    assert conn.sock is not None
    with source.open("rb") as f:
        conn.sock.sendfile(f)
    conn.send(tail)
    response = conn.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    assert response.status == 200, answer
    return elapsed, answer


def _post_httpx(base: str, token: str, source: Path) -> tuple[float, bytes]:
    """The same upload by httpx, the body a generator of 1 MiB reads."""
    head, tail = _multipart(source)

    def body() -> Iterator[bytes]:
        yield head
        with source.open("rb") as f:
            while chunk := f.read(READ_BYTES):
                yield chunk
        yield tail

    headers = _headers(token, len(head) + source.stat().st_size + len(tail))
    with httpx.Client(timeout=600) as client:
        start = time.perf_counter()
        response = client.post(f"{base}/graphql", content=body(), headers=headers)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return elapsed, response.content


def _uploads(base: str, token: str, source: Path, *, check: bool) -> float:
    post = _post_httpx if os.environ.get("NEUROGATE_BENCH_HTTPX") else _post_sendfile
    samples = []
    for _ in range(REPS):
        _new_content(source)
        elapsed, answer = post(base, token, source)
        if check:
            result = orjson.loads(answer)["data"]["uploadFile"]
            assert result["size"] == source.stat().st_size, result
        samples.append(elapsed)
    return statistics.median(samples)


def _new_content(source: Path) -> None:
    """Change the first bytes, so the next upload is not deduplicated."""
    with source.open("r+b") as f:
        f.write(os.urandom(16))


def run(workdir: Path) -> None:
    size = SIZE_MIB * READ_BYTES
    source = workdir / "upload.bin"
    print(f"writing a {SIZE_MIB} MiB random file in {workdir.parent} ...", flush=True)
    _make_file(source, size)

    cp = _time_cp(source, workdir, fsync=False)
    cp_fsync = _time_cp(source, workdir, fsync=True)
    with _uvicorn(["bench.uploads:discard_body"], {}) as (base, _):
        http_floor = _uploads(base, "-", source, check=False)
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    token = asyncio.run(_prepare_database(url))
    storage = workdir / "storage"
    env = {
        "NEUROGATE_DATABASE_URL": url,
        "NEUROGATE_STORAGE_DIR": str(storage),
        "NEUROGATE_MAX_UPLOAD_BYTES": str(2 * size),
        "NEUROGATE_GRAPHIQL": "false",
    }
    with _uvicorn(["gateway.app:create_app", "--factory"], env) as (base, pid):
        idle_mb = _memory_mb(pid, "VmRSS")
        startup_peak_mb = _memory_mb(pid, "VmHWM")
        # Start the peak afresh: what the uploads need, not what building the app needed.
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        upload = _uploads(base, token, source, check=True)
        peak_mb = _memory_mb(pid, "VmHWM")

    def row(name: str, seconds: float) -> str:
        return f"{name:<40} median {seconds:7.3f} s {size / 1e6 / seconds:8.1f} MB/s"

    client = "httpx generator" if os.environ.get("NEUROGATE_BENCH_HTTPX") else "sendfile"
    print(row("cp, same disk (no fsync)", cp))
    print(row("cp + fsync of the copy", cp_fsync))
    print(row(f"HTTP floor (uvicorn, body dropped; {client})", http_floor))
    print(row(f"gateway uploadFile ({client})", upload))
    ratio = cp / upload  # throughput ratio: (size / upload) / (size / cp)
    verdict = "ok" if ratio >= TARGET_RATIO else "MISSED"
    print(f"throughput / cp                 {ratio:5.2f}   target >= {TARGET_RATIO}  {verdict}")
    print(f"throughput / (cp + fsync)       {cp_fsync / upload:5.2f}")
    print(f"throughput / HTTP floor         {http_floor / upload:5.2f}")
    verdict = "ok" if peak_mb < TARGET_PEAK_MB else "MISSED"
    print(
        f"server peak RSS during the uploads (VmHWM)  {peak_mb:7.1f} MB   "
        f"target < {TARGET_PEAK_MB:.0f} MB  {verdict}"
    )
    print(
        f"server RSS idle after start {idle_mb:.1f} MB; peak while starting "
        f"(schema build, before any request) {startup_peak_mb:.1f} MB"
    )
    stored = [p for p in storage.glob("*/*") if p.parent.name not in ("tmp", "locks")]
    left = len(list((storage / "tmp").iterdir()))
    print(f"stored {len(stored)} files; temporaries left: {left}")


def main() -> None:
    data_dir = Path(__file__).resolve().parent / "data"
    data_dir.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="uploads-", dir=data_dir))
    try:
        run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
