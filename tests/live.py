"""A live uvicorn serving the real app on a free port of 127.0.0.1, for what crosses a real
network: websockets, real clients, browsers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from gateway.http.protocol import HttpProtocol


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    app: ASGIApp, *, ws: str = "websockets-sansio", loop: str = "auto"
) -> Iterator[str]:
    """Serve ``app`` in a background thread; yields its base URL."""
    config = uvicorn.Config(
        app,
        http=HttpProtocol,  # type: ignore[arg-type]  # as `neurogate serve` serves
        loop=loop,  # type: ignore[arg-type]
        log_config=None,
        access_log=False,
        ws=ws,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)
