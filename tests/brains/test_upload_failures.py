"""Uploads that fail, are cut off, are too large, malformed or cross-site leave neither a row
nor a file behind, and answer in GraphQL's error shape."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.auth.principal import Portal, Principal
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from gateway.staging import CHUNK_BYTES, Writer
from gateway.storage import Storage
from resolvers import brains
from resolvers.context import Context
from tests.auth.support import T0, bearer, make_user, personal_token
from tests.brains.support import (
    NO_ROOM,
    PREFLIGHT,
    UPLOAD_FILE,
    count_rows,
    eventually,
    multipart,
    people,
    post_multipart,
    stored_files,
    temporaries,
    upload_file,
)
from tests.conftest import Gateway
from tests.live import serve

MiB = 1024 * 1024


def _encoded(token: str, content: bytes, **extra_headers: str) -> tuple[dict[str, str], bytes]:
    """Headers and the exact bytes of an uploadFile multipart request."""
    request = httpx.Request(
        "POST",
        "http://testserver/graphql",
        files=multipart(UPLOAD_FILE, {}, {"file": ("big.bin", content, "application/x-test")}),
        headers={**PREFLIGHT, **bearer(token), **extra_headers},
    )
    return dict(request.headers), request.read()


async def _nothing_left(sessionmaker: async_sessionmaker[AsyncSession], storage_dir: Path) -> None:
    await eventually(lambda: temporaries(storage_dir) == [])
    assert stored_files(storage_dir) == []
    assert await count_rows(sessionmaker) == (0, 0)


async def _call_asgi(
    gateway: Gateway, headers: dict[str, str], messages: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Drive the app with raw ASGI messages; returns what it sent and how many messages it
    asked for."""
    sent: list[dict[str, Any]] = []
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > len(messages):
            await asyncio.sleep(3600)  # nothing more will come
        return messages[pulled - 1]

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await gateway.app(scope, receive, send)
    return sent, pulled


async def test_an_upload_cut_off_mid_body_leaves_no_row_and_no_file(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    headers, body = _encoded(who.alice, os.urandom(4 * MiB))
    cut = int(2.5 * MiB)  # past two full buffers: some bytes were already written to disk
    pieces = [body[i : min(i + 64 * 1024, cut)] for i in range(0, cut, 64 * 1024)]
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": piece, "more_body": True} for piece in pieces
    ]
    messages.append({"type": "http.disconnect"})

    sent, pulled = await _call_asgi(gateway, headers, messages)

    assert pulled == len(messages)  # it read up to the disconnect
    assert sent == []  # and did not answer a client that is gone
    await _nothing_left(sessionmaker, settings.storage_dir)


async def _upload_to_a_failing_disk(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    error: int,
) -> tuple[int, Any]:
    """An upload whose writes fail with ``error`` once the first buffer is on disk, in the
    writer thread with more of the body to come: the answer's status and body."""
    who = await people(gateway, sessionmaker)
    real_write = Writer._write

    def write_until_the_disk_fails(self: Writer, data: memoryview) -> None:
        if self._written >= CHUNK_BYTES:
            raise OSError(error, os.strerror(error))
        real_write(self, data)

    monkeypatch.setattr(Writer, "_write", write_until_the_disk_fails)
    headers, body = _encoded(who.alice, os.urandom(8 * CHUNK_BYTES))
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": body[i : i + MiB], "more_body": i + MiB < len(body)}
        for i in range(0, len(body), MiB)
    ]
    sent, _ = await _call_asgi(gateway, headers, messages)
    [status] = [m["status"] for m in sent if m["type"] == "http.response.start"]
    return status, orjson.loads(
        b"".join(m["body"] for m in sent if m["type"] == "http.response.body")
    )


async def test_a_disk_failing_mid_upload_fails_the_request_and_leaves_no_row_and_no_file(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An internal error: answered 500 in GraphQL's format (not re-raised to the server, which
    # would drop the connection), its traceback logged once.
    with caplog.at_level(logging.ERROR):
        status, answer = await _upload_to_a_failing_disk(
            gateway, sessionmaker, monkeypatch, errno.EIO
        )

    assert status == 500
    assert answer["errors"][0]["message"] == "Internal server error."
    [logged] = [record for record in caplog.records if record.exc_info]
    assert isinstance(logged.exc_info[1], OSError) and logged.exc_info[1].errno == errno.EIO  # type: ignore[index]
    await _nothing_left(sessionmaker, settings.storage_dir)


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT])
async def test_a_full_disk_mid_upload_answers_507_and_leaves_no_row_and_no_file(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: int,
) -> None:
    """A full disk or quota is the server's, not the client's fault, and not an internal error
    either: 507 Insufficient Storage, and one line (no traceback) for the operator."""
    with caplog.at_level(logging.INFO):
        status, answer = await _upload_to_a_failing_disk(gateway, sessionmaker, monkeypatch, error)

    assert status == 507
    assert answer == {
        "errors": [{"message": NO_ROOM, "extensions": {"code": "INSUFFICIENT_STORAGE"}}]
    }
    assert not [record for record in caplog.records if record.exc_info]
    [logged] = [r for r in caplog.records if r.name == "neurogate.storage"]
    assert logged.levelno == logging.ERROR and os.strerror(error) in logged.getMessage()
    await _nothing_left(sessionmaker, settings.storage_dir)


async def test_an_upload_whose_socket_closes_mid_stream_leaves_nothing_behind(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user_id = await make_user(sessionmaker, "alice@x.org")
    token = await personal_token(sessionmaker, user_id, now=utcnow())  # the live app's clock
    headers, body = _encoded(token, os.urandom(8 * MiB))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "host")
    request_head = f"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n{head}\r\n".encode()

    with serve(create_app(settings)) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(request_head + body[: CHUNK_BYTES + MiB])  # a full buffer, and more
            # The server is mid-upload: a temporary file is growing in the storage directory.
            await eventually(
                lambda: any(p.stat().st_size > 0 for p in temporaries(settings.storage_dir))
            )
        await _nothing_left(sessionmaker, settings.storage_dir)


async def test_an_upload_over_the_limit_is_refused_413_before_its_body_is_read(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    gateway = await make_gateway(max_upload_bytes=MiB)
    who = await people(gateway, sessionmaker)
    headers, _ = _encoded(who.alice, os.urandom(3 * MiB))
    assert int(headers["content-length"]) > 3 * MiB

    sent, pulled = await _call_asgi(
        gateway, headers, [{"type": "http.request", "body": b"", "more_body": True}]
    )

    assert pulled == 0  # refused on the declared length alone
    assert sent[0]["status"] == 413
    assert orjson.loads(sent[1]["body"]) == {
        "errors": [
            {
                "message": f"The upload exceeds the limit of {MiB} bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }
    await _nothing_left(sessionmaker, settings.storage_dir)


@pytest.mark.one_answer
async def test_a_streamed_upload_over_the_limit_stops_being_read_and_leaves_nothing(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    gateway = await make_gateway(max_upload_bytes=MiB)
    who = await people(gateway, sessionmaker)
    headers, body = _encoded(who.alice, os.urandom(8 * MiB))
    del headers["content-length"]  # chunked: the size shows only as the bytes arrive
    read = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal read
        for i in range(0, len(body), 64 * 1024):
            read += 64 * 1024
            yield body[i : i + 64 * 1024]

    response = await gateway.client.post("/graphql", content=chunks(), headers=headers)

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert read < 2 * MiB  # it stopped reading soon after the limit, not at the end
    await _nothing_left(sessionmaker, settings.storage_dir)


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded", None],
)
async def test_simple_posts_without_a_preflight_header_are_refused_as_csrf(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    content_type: str | None,
) -> None:
    who = await people(gateway, sessionmaker)
    headers = {**bearer(who.alice)}
    if content_type is not None:
        headers["content-type"] = content_type
    body = b'{"query": "mutation { logout { __typename } }"}'

    sent, pulled = await _call_asgi(
        gateway, headers, [{"type": "http.request", "body": body, "more_body": False}]
    )

    assert pulled == 0
    assert sent[0]["status"] == 400
    [error] = orjson.loads(sent[1]["body"])["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Apollo-Require-Preflight" in error["message"]
    await _nothing_left(sessionmaker, settings.storage_dir)


async def test_anonymous_uploads_are_refused_401_before_their_body_is_read(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    headers, body = _encoded("unused", b"anonymous bytes")
    del headers["authorization"]

    sent, pulled = await _call_asgi(
        gateway, headers, [{"type": "http.request", "body": body, "more_body": False}]
    )

    assert pulled == 0
    assert sent[0]["status"] == 401
    assert orjson.loads(sent[1]["body"]) == {
        "errors": [
            {
                "message": "Authentication required to upload files.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    await _nothing_left(sessionmaker, settings.storage_dir)


async def test_a_real_multipart_upload_without_preflight_is_refused_and_with_it_accepted(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    files = {"file": ("a.bin", b"abc", "application/octet-stream")}

    refused = await post_multipart(gateway, None, UPLOAD_FILE, {}, files, headers=bearer(who.alice))
    accepted = await post_multipart(
        gateway,
        None,
        UPLOAD_FILE,
        {},
        files,
        headers={**bearer(who.alice), "X-Neurogate-Preflight": "1"},
    )

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert accepted.status_code == 200
    assert accepted.json()["data"]["uploadFile"]["size"] == "3"
    assert len(stored_files(settings.storage_dir)) == 1


def _raw_multipart(parts: list[tuple[str, str | None, bytes]], *, close: bool = True) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += b"--B\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n"
        out += content + b"\r\n"
    return out + (b"--B--\r\n" if close else b"")


OPERATIONS = orjson.dumps({"query": UPLOAD_FILE, "variables": {"file": None}})
MAP = orjson.dumps({"0": ["variables.file"]})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _raw_multipart([("operations", None, OPERATIONS), ("map", None, MAP)]),
            "The file '0' named in 'map' was not sent.",
        ),
        (
            _raw_multipart(
                [("operations", None, OPERATIONS), ("map", None, MAP), ("1", "x", b"data")]
            ),
            "The file part '1' is not in the 'map' field.",
        ),
        (
            _raw_multipart([("operations", None, OPERATIONS), ("0", "x", b"data")]),
            "The 'operations' and 'map' fields must come before the files.",
        ),
        (
            _raw_multipart(
                [
                    ("operations", None, OPERATIONS),
                    ("map", None, b'{"0": ["variables.nope.deeper"]}'),
                    ("0", "x", b"data"),
                ]
            ),
            "The map path 'variables.nope.deeper' does not point into the operations.",
        ),
        (
            _raw_multipart(
                [("operations", None, b"{not json"), ("map", None, MAP), ("0", "x", b"d")]
            ),
            "The 'operations' field is not valid JSON.",
        ),
        (
            _raw_multipart(
                [("operations", None, OPERATIONS), ("map", None, MAP), ("0", "x", b"data")],
                close=False,
            ),
            "The multipart body ended before its closing boundary.",
        ),
        (b"garbage without any boundary", "Malformed multipart body."),
    ],
)
async def test_malformed_multipart_requests_are_400s_that_store_nothing(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    body: bytes,
    message: str,
) -> None:
    who = await people(gateway, sessionmaker)

    response = await gateway.client.post(
        "/graphql",
        content=body,
        headers={
            **PREFLIGHT,
            **bearer(who.alice),
            "content-type": "multipart/form-data; boundary=B",
        },
    )

    assert response.status_code == 400, response.text
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]
    }
    await _nothing_left(sessionmaker, settings.storage_dir)


async def test_a_received_file_that_no_mutation_keeps_is_discarded(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)

    response = await post_multipart(
        gateway, who.alice, "{ __typename }", {}, {"unused": ("u.bin", b"u" * MiB, "x/y")}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    await _nothing_left(sessionmaker, settings.storage_dir)


async def _one_chunk(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def test_a_failed_commit_removes_the_file_it_had_just_stored(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    storage = Storage.from_settings(settings)
    staged = await storage.stage(_one_chunk(b"orphan?"), filename="o.bin")
    # No such user: the row's foreign key fails at commit, after the file was placed.
    ghost = Principal(user_id=424242, portal=Portal.PRIVATE)
    ctx = Context.build(settings, sessionmaker, ghost, clock=lambda: T0)

    with pytest.raises(IntegrityError):
        await brains.upload_file(ctx, file=staged)

    await _nothing_left(sessionmaker, settings.storage_dir)


async def test_a_failed_commit_keeps_content_another_upload_uses(
    gateway: Gateway, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await upload_file(gateway, who.alice, b"shared bytes")
    storage = Storage.from_settings(settings)
    staged = await storage.stage(_one_chunk(b"shared bytes"))
    ghost = Principal(user_id=424242, portal=Portal.PRIVATE)
    ctx = Context.build(settings, sessionmaker, ghost, clock=lambda: T0)

    with pytest.raises(IntegrityError):
        await brains.upload_file(ctx, file=staged)

    [stored] = stored_files(settings.storage_dir)
    assert stored.read_bytes() == b"shared bytes"
    assert temporaries(settings.storage_dir) == []
    assert await count_rows(sessionmaker) == (1, 0)
