"""The gateway's server protocol (gateway.http.protocol) on a live uvicorn, on uvloop and on
asyncio's own loop: a body read into the application's buffers arrives whole and in order,
mixed with ``receive()`` or not; the next request on the connection is read right after it;
a chunked body is not offered the extension; a client that goes mid-body is a
``ClientDisconnect``; and ``Expect: 100-continue`` is answered when the body is first read."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from gateway.http.protocol import EXTENSION
from tests.live import serve

pytestmark = pytest.mark.parametrize("loop", ["uvloop", "asyncio"], indirect=True)

BODY = os.urandom(3 * 1024 * 1024 + 12345)
disconnects: list[str] = []


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body as the path says: ``/into/<view size>`` by ``read_into`` alone,
    ``/mixed/<view size>`` alternating with ``receive()``; answers what it read."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    _, mode, size = scope["path"].split("/")
    offered = scope.get("extensions", {}).get(EXTENSION)
    body = bytearray()
    turns = 0
    try:
        while True:
            turns += 1
            if offered is not None and (mode == "into" or turns % 2):
                view = memoryview(bytearray(int(size)))
                count = await offered["read_into"](view)
                if not count:
                    break
                body += view[:count]
            else:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                body += message["body"]
                if not message["more_body"]:
                    break
    except ClientDisconnect:
        disconnects.append(scope["path"])
        return
    answer = orjson.dumps(
        {
            "offered": offered is not None,
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(answer)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def loop(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(loop: str) -> Iterator[tuple[str, int]]:
    with serve(_app, loop=loop) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def _request(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _answers(sock: socket.socket, count: int) -> list[dict[str, Any]]:
    """The next ``count`` responses on the connection (each with a Content-Length)."""
    answers: list[dict[str, Any]] = []
    received = b""
    while len(answers) < count:
        head, found, rest = received.partition(b"\r\n\r\n")
        if found:
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) >= length:
                assert head.startswith(b"HTTP/1.1 200"), head
                answers.append(orjson.loads(rest[:length]))
                received = rest[length:]
                continue
        more = sock.recv(1 << 16)
        assert more, "the server closed the connection"
        received += more
    return answers


def _expected(body: bytes, offered: bool = True) -> dict[str, Any]:
    return {"offered": offered, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


@pytest.mark.parametrize("path", ["/into/1000", "/into/4194304", "/mixed/70000"])
def test_a_body_read_into_the_apps_buffers_arrives_whole_and_the_next_request_after_it(
    server: tuple[str, int], path: str
) -> None:
    small = b"the next request on the connection"
    with socket.create_connection(server, timeout=30) as sock:
        # Both requests in one go: the second's head arrives right behind the first's body.
        sock.sendall(_request(path, BODY) + _request("/into/64", small))
        assert _answers(sock, 2) == [_expected(BODY), _expected(small)]


def test_a_body_sent_slowly_in_small_pieces_arrives_whole(server: tuple[str, int]) -> None:
    body = os.urandom(200_000)
    data = _request("/into/65536", body)
    with socket.create_connection(server, timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(data), 30_011):
            sock.sendall(data[start : start + 30_011])
            time.sleep(0.005)
        assert _answers(sock, 1) == [_expected(body)]


def test_a_chunked_body_is_read_through_receive_only(server: tuple[str, int]) -> None:
    pieces = [os.urandom(5000), os.urandom(70_000), os.urandom(3)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    head = b"POST /into/1000 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(head + chunked + _request("/into/1000", b"after"))
        assert _answers(sock, 2) == [
            _expected(b"".join(pieces), offered=False),
            _expected(b"after"),
        ]


def test_expect_100_continue_is_answered_when_the_body_is_first_read(
    server: tuple[str, int],
) -> None:
    body = os.urandom(100_000)
    head = _request("/into/4096", body, "Expect: 100-continue")[: -len(body)]
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(head)
        assert sock.recv(1 << 16) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert _answers(sock, 1) == [_expected(body)]


def test_a_client_gone_mid_body_is_a_client_disconnect(server: tuple[str, int]) -> None:
    disconnects.clear()
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(_request("/into/65536", BODY)[:500_000])
        time.sleep(0.2)  # read into the app's buffers meanwhile
    deadline = time.monotonic() + 10
    while disconnects != ["/into/65536"]:
        assert time.monotonic() < deadline, "the app never heard of the disconnect"
        time.sleep(0.02)


def test_the_extension_leaves_requests_without_a_body_alone(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(b"GET /into/10 HTTP/1.1\r\nHost: x\r\n\r\n" + _request("/mixed/10", b"x"))
        assert _answers(sock, 2) == [_expected(b"", offered=False), _expected(b"x")]


async def test_one_read_waits_for_data_without_blocking_the_loop(server: tuple[str, int]) -> None:
    """A read that waits for the client leaves the server's loop free: another connection is
    answered meanwhile."""
    host, port = server
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(_request("/into/65536", BODY)[:1000])  # the head and a little of the body
    await writer.drain()
    with socket.create_connection(server, timeout=10) as other:
        other.sendall(_request("/into/100", b"meanwhile"))
        assert _answers(other, 1) == [_expected(b"meanwhile")]
    writer.write(_request("/into/65536", BODY)[1000:])
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    writer.close()
