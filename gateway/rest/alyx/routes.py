"""The Alyx family of the REST shim (seed 003), as the ``one-api`` client uses it (CLIENTS.md):
``/subjects`` (by nickname), ``/sessions`` and ``/datasets`` (by UUID), ``/users/{username}/
actions``, the root endpoint listing the endpoint categories, and the OpenAPI document at
``/api/schema``. ``POST /auth-token`` lives in :mod:`.auth`.

Thin by design: the query string is parsed into the shared query spec (:mod:`.query`),
reads and writes go to the resolvers GraphQL uses, rows come back as Alyx records
(:mod:`.records`) in Django REST framework's page ``{"count", "next", "previous",
"results"}``. Visibility and permissions are the resolvers'. Paths work with and without a
trailing slash; ``Accept: application/vnd.alyx.v1+json`` is served, any other Alyx version is
refused with 406.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import QueryError
from gateway.http import files
from gateway.http.errors import json_response
from gateway.http.openapi import openapi_media
from gateway.http.pagination import offset_links, offset_window
from gateway.http.requests import context_of, form_or_json
from gateway.rest.alyx import AlyxRoute, auth, openapi
from gateway.rest.alyx.endpoints import (
    ACTION_TYPES,
    ENDPOINTS,
    SESSION_ACTIONS,
    SESSIONS,
    Endpoint,
)
from gateway.rest.alyx.query import DEFAULT_LIMIT, MAX_LIMIT, PAGING
from gateway.rest.alyx.records import Urls
from resolvers import catalog
from resolvers.experiments import Mode
from resolvers.listing import Page, get_row
from resolvers.query import Filter, QuerySpec

Handler = Callable[[Request], Awaitable[Response]]

API_VERSION = "1"
_ALYX_MEDIA = re.compile(r"application/vnd\.alyx\.v([^+;,\s]*)\+json", re.IGNORECASE)
_ANY_JSON = re.compile(r"(^|[,\s])(\*/\*|application/\*|application/json)\s*(;|,|$)", re.I)


def _refused_version(request: Request) -> Response | None:
    """A 406 when the caller accepts only Alyx versions other than v1."""
    accept = request.headers.get("accept", "")
    versions = _ALYX_MEDIA.findall(accept)
    if not versions or API_VERSION in versions or _ANY_JSON.search(accept):
        return None
    detail = f"Could not satisfy the request Accept header: this server speaks Alyx v{API_VERSION}."
    return json_response({"detail": detail, "status_code": 406}, 406)


def _negotiated(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        return _refused_version(request) or await handler(request)

    return endpoint


def _urls(request: Request) -> Urls:
    return Urls(str(request.base_url).rstrip("/"))


def _page(request: Request, page: Page, records: list[Any]) -> Response:
    assert page.total is not None
    following, previous = offset_links(request.url, page.window, page.total)
    return json_response(
        {"count": page.total, "next": following, "previous": previous, "results": records}
    )


# --- one endpoint's collection and items -------------------------------------------------------


def _collection(endpoint: Endpoint) -> Handler:
    async def handle(request: Request) -> Response:
        ctx, urls = context_of(request), _urls(request)
        if request.method == "POST" and endpoint.writes is not None:
            fields = endpoint.writes.fields
            values = await fields.values(ctx, await form_or_json(request))
            row = await fields.run(endpoint.writes.create(ctx, values))
            (record,) = await endpoint.details(ctx, urls, [row])
            return json_response(record, 201)
        spec = endpoint.filters.parse(request.query_params)
        page = await endpoint.list(ctx, spec)
        return _page(request, page, await endpoint.summaries(ctx, urls, page.rows))

    return handle


def _item(endpoint: Endpoint) -> Handler:
    async def handle(request: Request) -> Response:
        ctx, urls = context_of(request), _urls(request)
        row = await endpoint.get(ctx, request.path_params[endpoint.key])
        if request.method in ("PUT", "PATCH") and endpoint.writes is not None:
            fields = endpoint.writes.fields
            values = await fields.values(ctx, await form_or_json(request))
            mode = Mode.REPLACE if request.method == "PUT" else Mode.PATCH
            row = await fields.run(endpoint.writes.update(ctx, row, values, mode))
        elif request.method == "DELETE" and endpoint.writes is not None:
            await endpoint.writes.delete(ctx, row)
            return Response(status_code=204)
        (record,) = await endpoint.details(ctx, urls, [row])
        return json_response(record)

    return handle


def _routes(endpoint: Endpoint) -> list[AlyxRoute]:
    reads = ["GET"]
    collection = [*reads, "POST"] if endpoint.writes else reads
    item = [*reads, "PUT", "PATCH", "DELETE"] if endpoint.writes else reads
    path = f"/{endpoint.name}"
    key = f"{path}/{{{endpoint.key}}}"
    list_handler = _negotiated(_collection(endpoint))
    item_handler = _negotiated(_item(endpoint))
    return [
        *(AlyxRoute(p, list_handler, methods=collection) for p in (path, f"{path}/")),
        *(AlyxRoute(p, item_handler, methods=item) for p in (key, f"{key}/")),
    ]


# --- the rest of the family --------------------------------------------------------------------


async def user_actions(request: Request) -> Response:
    """A user's actions of one ``type``. Sessions are the only actions neurogate records
    (type ``experiment`` or ``session``, or no type); every other Alyx action type answers an
    empty page."""
    ctx, urls = context_of(request), _urls(request)
    params = request.query_params
    unknown = set(params) - {"type", *PAGING}
    if unknown:
        raise QueryError(
            f"Unknown filter '{sorted(unknown)[0]}'. Allowed filters: type, limit, offset."
        )
    kind = params.get("type", "experiment").strip().lower()
    if kind not in ACTION_TYPES:
        raise QueryError(f"Unknown action type '{kind}'. Types: {', '.join(ACTION_TYPES)}.")
    window = offset_window(params, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    user = await get_row(ctx, catalog.USER, "username", request.path_params["username"])
    if kind not in SESSION_ACTIONS:
        return _page(request, Page(rows=[], total=0, window=window), [])
    spec = QuerySpec(where=Filter("username", "eq", user.username), window=window)
    page = await SESSIONS.list(ctx, spec)
    return _page(request, page, await SESSIONS.summaries(ctx, urls, page.rows))


async def root(request: Request) -> Response:
    """The endpoint categories the API supports, with their absolute URLs (seed 003)."""
    base = _urls(request).base
    names = ["auth-token", *(e.name for e in ENDPOINTS), "api/schema"]
    return json_response({name: f"{base}/{name}" for name in names})


@cache
def _schema_document() -> bytes:
    return orjson.dumps(openapi.document())


async def schema(request: Request) -> Response:
    """The OpenAPI 3 document ONE reads to learn endpoints, actions and filter names."""
    media = openapi_media(request.headers.get("accept", ""))
    return Response(_schema_document(), media_type=media)


def _both(path: str, handler: Handler) -> list[AlyxRoute]:
    """``path`` with and without a trailing slash (ONE sends none; browsers and curl users
    copy Alyx's documented URLs, which have one)."""
    endpoint = _negotiated(handler)
    return [AlyxRoute(p, endpoint, methods=["GET"]) for p in (path, f"{path}/")]


# The family's whole route table, as the app mounts it.
ROUTES = [
    *auth.ROUTES,
    AlyxRoute("/", _negotiated(root), methods=["GET"]),
    *(route for endpoint in ENDPOINTS for route in _routes(endpoint)),
    *_both("/users/{username}/actions", user_actions),
    *_both("/api/schema", schema),
    # The data URL of a dataset ends with the ALF path ONE parses (lab/Subjects/subject/date/
    # number/collection/name); the file itself is the upload's ordinary download. Only Alyx
    # records point here and ONE fetches it, so it answers as Alyx (403 "Invalid token." is
    # what makes ONE sign in again).
    AlyxRoute("/files/{upload_id:int}/{alf_path:path}", files.download, methods=["GET"]),
]
