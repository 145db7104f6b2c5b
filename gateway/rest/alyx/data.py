"""Registering files (Alyx's ``POST /register-file``), telling whether registering them would
overwrite a protected dataset (``GET /check-protected``), and serving registered files' bytes
(``GET /data/<lab>/Subjects/…/<name>.<dataset uuid>.<ext>``, the URLs file records give).

ONE downloads data URLs without its Alyx token: it sends HTTP basic credentials when its
``HTTP_DATA_SERVER_LOGIN`` and ``HTTP_DATA_SERVER_PWD`` are set, in answer to a 401 that asks
for them. Anonymous callers read no data (seed 003: only the summary of users and their
subjects is public), so their request is that 401 with a ``WWW-Authenticate: Basic``
challenge; a token (``Authorization: Token …``) works too. Missing and hidden files are the
same 404 to a signed-in caller.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.principal import Principal
from gateway.errors import BadRequest, NotFound, Unauthenticated
from gateway.http.errors import json_response
from gateway.http.files import FileStream
from gateway.http.requests import context_of, json_body, principal_of
from gateway.rest.alyx import AlyxRoute
from resolvers import auth, data_files, protected, registration
from resolvers.registration import FileToRegister

_REALM = 'Basic realm="neurogate data", charset="UTF-8"'


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    """Alyx's booleans: JSON true/false, or the strings 'True'/'False'."""
    value = body.get(name, default)
    if isinstance(value, str):
        return value == "True"
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false.")
    return value


def _listed(body: dict[str, Any], name: str, count: int) -> list[Any]:
    """A list field (or a comma-separated string, as Alyx accepts), one item per file."""
    value = body.get(name)
    if value is None:
        return [None] * count
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise BadRequest(f"'{name}' must be a list.")
    if len(value) == 1 and count > 1 and name == "versions":
        value = value * count
    if len(value) != count:
        raise BadRequest(f"'{name}' must have one item per file name.")
    return value


def _size(value: Any) -> int | None:
    if value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise BadRequest("'filesizes' must be integers.") from None
    if size < 0:
        raise BadRequest("'filesizes' must not be negative.")
    return size


def _text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.")
    return value


def _path_and_names(body: dict[str, Any]) -> tuple[str, list[str]]:
    """Alyx's ``path`` (required) and ``filenames`` (a list, or comma-separated), empty names
    dropped."""
    path = _text(body.get("path"), "path")
    if path is None:
        raise BadRequest("The path argument is required.")
    names = body.get("filenames") or []
    if isinstance(names, str):
        names = names.split(",")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BadRequest("'filenames' must be a list of file names.")
    return path, [n for n in names if n]


async def register_file(request: Request) -> Response:
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    body = await json_body(request)
    path, names = _path_and_names(body)
    count = len(names)
    hashes = _listed(body, "hashes", count)
    sizes = _listed(body, "filesizes", count)
    versions = _listed(body, "versions", count)
    files = [
        FileToRegister(name, _text(md5, "hashes"), _size(size), _text(version, "versions") or "")
        for name, md5, size, version in zip(names, hashes, sizes, versions, strict=True)
    ]
    registered = await registration.register_files(
        ctx,
        path=path,
        files=files,
        repository=_text(body.get("name"), "name"),
        hostname=_text(body.get("hostname"), "hostname"),
        created_by=_text(body.get("created_by"), "created_by"),
        exists=_flag(body, "exists", True),
        default=_flag(body, "default", True),
    )
    return json_response(registered, 201)


async def check_protected(request: Request) -> Response:
    """Alyx's ``check-protected``: its question in the JSON body ONE sends with its GET, or
    in the query string. Like Alyx, both answers are HTTP 200, the verdict in the body's
    ``status_code`` (ONE reads it there)."""
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    body = await json_body(request) or dict(request.query_params)
    if body.get("content_type") or body.get("object_id"):
        if not (body.get("content_type") and body.get("object_id")):
            error = "Both content_type and object_id should be provided together."
            return json_response({"status_code": 400, "error": error}, 400)
        raise BadRequest("Datasets of anything but a session are not kept by this server.")
    path, names = _path_and_names(body)
    files = await protected.protected_files(
        ctx, path=path, filenames=names, created_by=_text(body.get("created_by"), "created_by")
    )
    if not any(file.protected for file in files):
        return json_response({"status_code": 200, "details": "None of the datasets are protected"})
    details = [
        {file.name: [{revision: is_protected} for revision, is_protected in file.datasets]}
        for file in files
    ]
    return json_response(
        {"status_code": 403, "error": "One or more datasets is protected", "details": details}
    )


async def _caller(request: Request) -> Principal:
    """The token's principal, or the one HTTP basic credentials name."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return principal_of(request)
    try:
        login, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        login, colon, password = "", "", ""
    if not colon:
        raise _challenge()
    try:
        return await auth.password_principal(context_of(request), login, password)
    except Unauthenticated:
        raise _challenge() from None


def _challenge() -> Unauthenticated:
    return Unauthenticated("Authentication credentials were not provided.")


def _refused() -> Response:
    return json_response(
        {"detail": "Authentication credentials were not provided.", "status_code": 401},
        401,
        headers={"www-authenticate": _REALM},
    )


async def download(request: Request) -> Response:
    try:
        principal = await _caller(request)
    except Unauthenticated:
        return _refused()
    if not principal.is_authenticated:
        return _refused()
    ctx = context_of(request, principal)
    found = await data_files.find_data_file(ctx, path=request.path_params["path"])
    try:
        file = await anyio.to_thread.run_sync(found.path.open, "rb")
    except FileNotFoundError:
        raise NotFound("Not found.") from None
    headers = {
        "etag": f'"{found.md5 or found.sha256}"',
        "cache-control": "private, no-cache",
        "content-type": "application/octet-stream",
        "x-content-type-options": "nosniff",
    }
    return FileStream(file, start=0, length=found.size, status_code=200, headers=headers)


ROUTES = [
    *(AlyxRoute(p, register_file, methods=["POST"]) for p in ("/register-file", "/register-file/")),
    *(
        AlyxRoute(p, check_protected, methods=["GET"])
        for p in ("/check-protected", "/check-protected/")
    ),
    AlyxRoute("/data/{path:path}", download, methods=["GET", "HEAD"]),
]
