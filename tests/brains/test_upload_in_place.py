"""Uploads received in place (gateway.http.protocol's ``neurogate.body_into``) on a live
uvicorn: each read lands in the storage writer's buffer, whose end cuts the reads, so
delimiters and near-misses falling across a buffer's end, or a read's, are read exactly,
whether the file's bytes come in one go or in many small pieces."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from gateway.staging import CHUNK_BYTES
from tests.auth.support import bearer, make_user, personal_token
from tests.brains.test_multipart import DELIMITER, HEADERS, NEAR_MISSES, _upload_body
from tests.live import serve


@pytest.fixture
async def token(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    user = await make_user(sessionmaker, "inplace@x.org")
    return await personal_token(sessionmaker, user, now=utcnow())


@pytest.fixture
def base(settings: Settings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


def _expected(content: bytes) -> dict[str, str]:
    return {"size": str(len(content)), "sha256": hashlib.sha256(content).hexdigest()}


def _stored(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    result = answer.json()["data"]["uploadFile"]
    return {"size": result["size"], "sha256": result["sha256"]}


def _at_buffer_end(ending: bytes, after: bytes = b"") -> bytes:
    """A file whose first buffer ends in ``ending``, then ``after`` and more."""
    return os.urandom(CHUNK_BYTES - len(ending)) + ending + after + os.urandom(1000)


FILES = {
    "one byte short of a buffer": os.urandom(CHUNK_BYTES - 1),
    "a buffer exactly": os.urandom(CHUNK_BYTES),
    "a buffer and a byte": os.urandom(CHUNK_BYTES + 1),
    "the closing delimiter across the buffer's end": os.urandom(CHUNK_BYTES - 5),
    "all of it but a byte in the buffer": os.urandom(CHUNK_BYTES - len(DELIMITER) + 1),
    "CR at the buffer's end": _at_buffer_end(DELIMITER[:1]),
    "CRLF at the buffer's end": _at_buffer_end(DELIMITER[:2]),
    "half a delimiter at the buffer's end": _at_buffer_end(DELIMITER[:12]),
    "all but a byte of one at its end": _at_buffer_end(DELIMITER[:-1], b"X"),
    "a whole one, then no CRLF": _at_buffer_end(DELIMITER[:-5], DELIMITER[-5:] + b"X"),
    "near-misses, three buffers": os.urandom(3 * CHUNK_BYTES - 7000) + NEAR_MISSES,
}


@pytest.mark.parametrize("name", FILES)
def test_a_file_is_stored_exactly_wherever_the_buffers_end(
    base: str, token: str, name: str
) -> None:
    content = FILES[name]
    with httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post(
            "/graphql", content=_upload_body(content), headers={**HEADERS, **bearer(token)}
        )
    assert _stored(answer) == _expected(content)


def test_a_file_in_small_slow_pieces_is_stored_exactly(
    base: str, token: str, settings: Settings
) -> None:
    content = os.urandom(300_000) + NEAR_MISSES + os.urandom(50_000) + NEAR_MISSES
    body = _upload_body(content)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in {**HEADERS, **bearer(token)}.items())
        + "Connection: close\r\n\r\n"
    ).encode()
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head)
        for start in range(0, len(body), 7919):  # reads end anywhere in the near-misses
            sock.sendall(body[start : start + 7919])
            time.sleep(0.0005)
        answer = b""
        while more := sock.recv(1 << 16):
            answer += more
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    assert head_bytes.startswith(b"HTTP/1.1 200"), answer[:500]
    response = httpx.Response(200, content=payload)
    assert _stored(response) == _expected(content)
    assert not list(Path(settings.storage_dir, "tmp").glob("*"))  # no temporaries left
