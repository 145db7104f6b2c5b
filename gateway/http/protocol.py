"""The gateway's HTTP/1.1 server protocol: uvicorn's httptools protocol, reading the socket
into buffers, with one addition for large bodies: the ASGI extension ``neurogate.body_into``,
which has the kernel copy a request's body straight into a buffer of the application's own.

Through plain ASGI, each byte of an upload is copied four times in the gateway's process
before its storage writer sees it: uvloop copies what it reads into a new ``bytes``, httptools
copies the body's part of it into another, uvicorn appends that to the request's
``bytearray`` and copies it out again for the ``http.request`` message; the writer then copies
it into its own buffers. With ``bench/uploads.py``'s client and 1 GiB file, a bare server
that received into buffers like the writer's directly (``asyncio.BufferedProtocol``), hashed
and wrote them as the writer does took 0.84-1.04 s (medians of 7, ten runs), and the same
server with one copy per read, through a reused 256 KiB buffer, 1.22-1.41 s: the copies cost
little CPU of their own, but they take the receiving side's core and memory bandwidth from the
hashing beside it. With this protocol the gateway's upload went from 1.10-1.40 s to
0.85-0.97 s.

So an application that finds ``read_into = scope["extensions"]["neurogate.body_into"]
["read_into"]`` in a request's scope may ``await read_into(view)``: the body's next bytes
arrive in ``view`` (a writable memoryview), as many as come until it is full or the body ends;
it returns how many (0: the body is complete) and raises Starlette's ``ClientDisconnect`` if
the client goes. It may mix these calls with ``receive()``. The extension is offered for
bodies with a Content-Length (the protocol then counts the rest of the body itself, and a new
parser takes the request after it); a chunked body is read through ``receive()`` only.

Serve with ``uvicorn.run(..., http=HttpProtocol)`` or ``--http
gateway.http.protocol:HttpProtocol`` (``neurogate serve`` does). It relies on uvicorn's
``HttpToolsProtocol`` as of uvicorn 0.55: pyproject.toml pins the minor version, and
``tests/http/test_protocol.py`` runs it on uvloop and on asyncio's own loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any

import httptools
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

EXTENSION = "neurogate.body_into"
# What one read takes when no application buffer waits: uvloop's own size.
READ_BYTES = 256 * 1024

_buffers = threading.local()


def _read_buffer() -> memoryview:
    """This thread's buffer for reads (an event loop runs on one thread; what is read into
    it is parsed or copied before the next read)."""
    buffer: memoryview | None = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = memoryview(bytearray(READ_BYTES))
    return buffer


class HttpProtocol(asyncio.BufferedProtocol):
    """What uvicorn creates per connection. uvloop treats a protocol that is also an
    ``asyncio.Protocol`` as unbuffered, so this one holds uvicorn's rather than extending it;
    uvicorn tracks (and shuts down) the held one."""

    def __init__(
        self, config: Any, server_state: Any, app_state: dict[str, Any], _loop: Any = None
    ):
        self._http = _Connection(config, server_state, app_state, _loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._http.connection_made(transport)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        self._http.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self._http.eof_received()  # type: ignore[func-returns-value]

    def pause_writing(self) -> None:
        self._http.pause_writing()

    def resume_writing(self) -> None:
        self._http.resume_writing()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._http.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self._http.buffer_updated(nbytes)


class _Connection(HttpToolsProtocol):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        # The current request's body:
        self._length: int | None = None  # its Content-Length, where it has one
        self._parsed = 0  # bytes of it the parser has seen
        self._remaining: int | None = None  # once counted here rather than by the parser
        # An application buffer waiting for it (``read_into``):
        self._target: memoryview | None = None
        self._filled = 0
        self._waiter: asyncio.Future[int] | None = None

    # The transport's side.

    def get_buffer(self) -> memoryview:
        target = self._target
        if target is None:
            return _read_buffer()
        assert self._remaining is not None
        return target[
            self._filled : self._filled + min(len(target) - self._filled, self._remaining)
        ]

    def buffer_updated(self, nbytes: int) -> None:
        self._unset_keepalive_if_required()  # as uvicorn's data_received
        if self._target is not None:
            self._filled += nbytes
            self._counted(nbytes)
            if self._filled == len(self._target) or self._remaining is None:
                self._hand_back()
            return
        data = _read_buffer()[:nbytes]
        if self._remaining is not None:  # this request's body, counted here
            body = data[: self._remaining]
            data = data[len(body) :]
            if not self.cycle.response_complete:  # as uvicorn's on_body
                self.cycle.body += body
                if len(self.cycle.body) > HIGH_WATER_LIMIT:
                    self.flow.pause_reading()
            self.cycle.message_event.set()
            self._counted(len(body))
            if not data:
                return
        self.data_received(data)  # type: ignore[arg-type]  # httptools reads any buffer

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._target = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ClientDisconnect())

    # The parser's side.

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._length = _content_length(self.headers)
        self._parsed = 0
        cycle = self.cycle
        if self._length and cycle is not None and cycle.scope is self.scope:  # not an upgrade
            read_into = functools.partial(self._read_into, cycle)
            self.scope.setdefault("extensions", {})[EXTENSION] = {"read_into": read_into}  # type: ignore[typeddict-item]

    def on_body(self, body: bytes) -> None:
        self._parsed += len(body)
        super().on_body(body)

    # The application's side.

    async def _read_into(self, cycle: RequestResponseCycle, view: memoryview) -> int:
        if cycle.disconnected or cycle.response_complete:
            raise ClientDisconnect()
        if cycle.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            cycle.waiting_for_100_continue = False
        if cycle.body:  # what the parser (or a read without a buffer) received first
            count = min(len(view), len(cycle.body))
            view[:count] = cycle.body[:count]
            del cycle.body[:count]
            return count
        if not cycle.more_body or not len(view):
            return 0
        assert cycle is self.cycle and self._waiter is None, "one read at a time, in order"
        if self._remaining is None:
            # From here on the body is counted here: the parser, which would want to see it,
            # is replaced by one for the next request on the connection.
            assert self._length is not None
            self._remaining = self._length - self._parsed
            self.parser = httptools.HttpRequestParser(self)
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self._target, self._filled = view, 0
        waiter = self._waiter = self.loop.create_future()
        self.flow.resume_reading()
        try:
            return await waiter
        finally:
            self._waiter = None
            self._target = None  # released by the transport's side once read into

    def _hand_back(self) -> None:
        """The application's buffer is full, or the body complete: wake its reader, and read
        no more until it asks (the kernel holds what comes meanwhile)."""
        self._target = None
        self.flow.pause_reading()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(self._filled)

    def _counted(self, count: int) -> None:
        assert self._remaining is not None
        self._remaining -= count
        if self._remaining == 0:  # the body is complete: as uvicorn's on_message_complete
            self._remaining = None
            if not self.cycle.response_complete:
                self.cycle.more_body = False
                self.cycle.message_event.set()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body's length, where one Content-Length gives it and no Transfer-Encoding."""
    lengths = [value for name, value in headers if name == b"content-length"]
    if len(lengths) != 1 or not lengths[0].isdigit():
        return None
    if any(name == b"transfer-encoding" for name, _ in headers):
        return None
    return int(lengths[0])
