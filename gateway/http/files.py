"""``GET /files/{id}``: an upload's stored content, for those allowed to see the upload.

Streamed in chunks from a descriptor opened after the permission check (so a concurrent
delete cannot cut a download short), with ``Content-Length``, the sha256 as a strong ``ETag``
(``If-None-Match`` answers 304) and single byte ranges (``Range: bytes=a-b``, ``a-``, ``-n``;
206 with ``Content-Range``, 416 when unsatisfiable; ``If-Range`` honoured). A request for
several ranges gets the whole file, which RFC 9110 allows.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import anyio
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.auth.principal import Portal, Principal
from gateway.auth.visibility import in_portal
from gateway.errors import BadRequest, NotFound
from gateway.http.errors import ErrorFormat
from gateway.http.requests import context_of, principal_of
from gateway.http.routing import FamilyRoute
from resolvers import brains

CHUNK_BYTES = 1 << 20
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range ``header`` asks for, as (first, last) inclusive; ``None`` for the
    whole file (no header, several ranges, or one that is not understood)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if first == "":
        if last == "":
            return None
        suffix = int(last)  # the last `suffix` bytes
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last != "" and int(last) < start:
        return None  # invalid: ignored, like an absent header
    if start >= size:
        raise Unsatisfiable
    return start, size - 1 if last == "" else min(int(last), size - 1)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [tag.strip() for tag in header.split(",")]
    # If-None-Match compares weakly: W/"x" matches "x".
    return "*" in candidates or etag in [c.removeprefix("W/") for c in candidates]


def _disposition(name: str) -> str:
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class FileStream(Response):
    """A byte range of an open file, read in chunks off the event loop."""

    def __init__(
        self, file: Any, *, start: int, length: int, status_code: int, headers: dict[str, str]
    ) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.file = file
        self.start = start
        self.length = length
        self.headers["content-length"] = str(length)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            remaining = self.length
            position = self.start
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(
                    os.pread, self.file.fileno(), min(CHUNK_BYTES, remaining), position
                )
                if not chunk:
                    raise RuntimeError("stored file is shorter than its record")
                remaining -= len(chunk)
                position += len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
            if self.length == 0:
                await send({"type": "http.response.body", "body": b""})
        finally:
            self.file.close()


def _asking_as(request: Request) -> Principal:
    """The caller, in the view of the data they ask for with ``X-Neurogate-Portal`` (as on
    /graphql): admins see every upload only when they ask for the super view."""
    principal = principal_of(request)
    requested = request.headers.get("x-neurogate-portal")
    if requested is None:
        return principal
    try:
        portal = Portal(requested.strip().lower())
    except ValueError:
        raise BadRequest("X-Neurogate-Portal must be public, private or super.") from None
    return in_portal(principal, portal)


async def download(request: Request) -> Response:
    ctx = context_of(request, _asking_as(request))
    written = str(request.path_params["upload_id"])  # an int on Alyx's ALF route
    if not written.isdigit():
        raise NotFound("FileUpload not found.")
    item = await brains.open_download(ctx, upload_id=int(written))
    etag = f'"{item.sha256}"'
    headers = {
        "etag": etag,
        "accept-ranges": "bytes",
        "cache-control": "private, no-cache",
        "content-type": item.content_type,
        "content-disposition": _disposition(item.name),
        # Uploaded content is never rendered as a page of this origin.
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
    }
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(
            status_code=304, headers={"etag": etag, "cache-control": "private, no-cache"}
        )
    file = await anyio.to_thread.run_sync(brains.open_content, ctx, item)
    size = os.fstat(file.fileno()).st_size
    if_range = request.headers.get("if-range")
    wanted = request.headers.get("range") if if_range in (None, etag) else None
    try:
        byte_range = parse_range(wanted, size)
    except Unsatisfiable:
        file.close()
        return Response(status_code=416, headers={"content-range": f"bytes */{size}", "etag": etag})
    if byte_range is None:
        return FileStream(file, start=0, length=size, status_code=200, headers=headers)
    first, last = byte_range
    headers["content-range"] = f"bytes {first}-{last}/{size}"
    return FileStream(file, start=first, length=last - first + 1, status_code=206, headers=headers)


class UploadIdConvertor(StringConvertor):
    """Any path segment but a UUID, which names one of Alyx's file records (``/files/{uuid}``):
    an upload id as the client wrote it, so ``/files/-1`` or ``/files/x`` is an upload that
    does not exist (this route's 404), not a malformed file record (Alyx's 400)."""

    regex = r"(?![0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}$)[^/]+"


register_url_convertor("upload_id", UploadIdConvertor())

# No family owns this URL: BrainMaps' records and GraphQL's point here (Alyx's point at their
# own, under it). It answers errors in the default format, as /api/openapi.json says.
ROUTES = [
    FamilyRoute("/files/{upload_id:upload_id}", download, methods=["GET"], errors=ErrorFormat.DRF)
]
