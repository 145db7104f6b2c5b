"""The Alyx family of the REST shim (seed 003), as the ``one-api`` client uses it (CLIENTS.md):
``/subjects`` (by nickname), ``/sessions`` and ``/datasets`` (by UUID), ``/users/{username}/
actions``, the root endpoint listing the endpoint categories, and the OpenAPI document at
``/api/schema``. ``POST /auth-token`` lives in :mod:`.auth`.

Thin by design: the query string is parsed into the shared query spec (:mod:`.query`); a
list, a record and the record a write returns are read through the entity graph's one read
function with the endpoint's include tree (:mod:`.endpoints`), and the nodes it returns are
rendered by the endpoint's mapping tables (:mod:`.records`), without I/O, in Django REST
framework's page ``{"count", "next", "previous", "results"}``; writes go to the resolvers
GraphQL uses. Visibility and permissions are the resolvers'. Paths work with and without a
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

from gateway.errors import NotFound, QueryError, Unauthenticated
from gateway.http import files
from gateway.http.errors import json_response
from gateway.http.openapi import openapi_media
from gateway.http.pagination import offset_links
from gateway.http.requests import context_of, form_or_json
from gateway.rest.alyx import AlyxRoute, auth, data, openapi
from gateway.rest.alyx.endpoints import (
    ACTION_TYPES,
    ENDPOINTS,
    SESSION_ACTIONS,
    SESSIONS,
    Endpoint,
)
from gateway.rest.alyx.fields import Env, Record, Shape, Urls
from gateway.rest.alyx.query import MAX_LIMIT, alyx_window, typed
from resolvers import catalog
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.listing import get_row
from resolvers.query import AllOf, Filter, QuerySpec, Window
from resolvers.read import Include, Read, read

Handler = Callable[[Request], Awaitable[Response]]

API_VERSION = "1"
NOT_AUTHENTICATED = "Authentication credentials were not provided."  # Django REST framework's
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


def _env(request: Request, ctx: Context) -> Env:
    return Env(Urls(str(request.base_url).rstrip("/")), ctx.now().date())


def _page(request: Request, page: Read, records: list[Record]) -> Response:
    assert page.total is not None
    following, previous = offset_links(request.url, page.window, page.total)
    return json_response(
        {"count": page.total, "next": following, "previous": previous, "results": records}
    )


# --- one endpoint's collection and items, through the entity graph's read path ----------------


async def _list(ctx: Context, endpoint: Endpoint, spec: QuerySpec) -> Read:
    return await read(
        ctx,
        endpoint.entity,
        spec,
        endpoint.summary.include,
        with_total=True,
        max_page_size=MAX_LIMIT,
    )


async def _one(ctx: Context, endpoint: Endpoint, include: Include, field: str, value: Any) -> Any:
    """The node of the one visible record whose ``field`` is ``value``; missing and hidden
    records are the same 404, so keys cannot be probed."""
    match = Filter(field, "eq", value)
    where = match if endpoint.scope is None else AllOf((match, endpoint.scope))
    found = await read(ctx, endpoint.entity, QuerySpec(where=where, window=Window(1)), include)
    if not found.nodes:
        raise NotFound(f"{endpoint.record_name} not found.")
    return found.nodes[0]


def _require_reader(ctx: Context, endpoint: Endpoint, representation: str) -> None:
    """Alyx's 403 for an anonymous read of what seed 003 keeps for signed-in users."""
    if not ctx.principal.is_authenticated and representation not in endpoint.anonymous:
        raise Unauthenticated(NOT_AUTHENTICATED)


def _render(shape: Shape, nodes: list[Any], env: Env) -> list[Record]:
    render = shape.render
    return [render(node, env) for node in nodes]


def _collection(endpoint: Endpoint) -> Handler:
    entity = endpoint.entity

    async def handle(request: Request) -> Response:
        ctx = context_of(request)
        if request.method == "POST" and endpoint.writes is not None:
            fields = endpoint.writes.fields
            values = await fields.values(ctx, await form_or_json(request))
            row = await fields.run(endpoint.writes.create(ctx, values))
            key = getattr(row, entity.key)
            node = await _one(ctx, endpoint, endpoint.detail.include, entity.key, key)
            return json_response(endpoint.detail.render(node, _env(request, ctx)), 201)
        _require_reader(ctx, endpoint, "list")
        spec = endpoint.filters.parse(request.query_params, base=endpoint.scope)
        page = await _list(ctx, endpoint, spec)
        return _page(request, page, _render(endpoint.summary, page.nodes, _env(request, ctx)))

    return handle


def _item(endpoint: Endpoint) -> Handler:
    entity, detail = endpoint.entity, endpoint.detail

    async def handle(request: Request) -> Response:
        ctx = context_of(request)
        value = typed(entity, endpoint.lookup, endpoint.key, request.path_params[endpoint.key])
        if request.method == "GET" or endpoint.writes is None:
            _require_reader(ctx, endpoint, "detail")
            node = await _one(ctx, endpoint, detail.include, endpoint.lookup, value)
            return json_response(detail.render(node, _env(request, ctx)))
        target = await _one(ctx, endpoint, Include(), endpoint.lookup, value)
        key = getattr(target, entity.key)
        if request.method == "DELETE":
            await endpoint.writes.delete(ctx, key)
            return Response(status_code=204)
        fields = endpoint.writes.fields
        values = await fields.values(ctx, await form_or_json(request))
        mode = Mode.REPLACE if request.method == "PUT" else Mode.PATCH
        await fields.run(endpoint.writes.update(ctx, key, values, mode))
        node = await _one(ctx, endpoint, detail.include, entity.key, key)
        return json_response(detail.render(node, _env(request, ctx)))

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
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated(NOT_AUTHENTICATED)
    params = request.query_params
    kind = params.get("type", "experiment").strip().lower()
    if kind not in ACTION_TYPES:
        raise QueryError(f"Unknown action type '{kind}'. Types: {', '.join(ACTION_TYPES)}.")
    window = alyx_window(params)
    user = await get_row(ctx, catalog.USER, "username", request.path_params["username"])
    if kind not in SESSION_ACTIONS:
        return _page(request, Read(nodes=[], total=0, window=window), [])
    spec = QuerySpec(where=Filter("username", "eq", user.username), window=window)
    page = await _list(ctx, SESSIONS, spec)
    return _page(request, page, _render(SESSIONS.summary, page.nodes, _env(request, ctx)))


async def root(request: Request) -> Response:
    """The endpoint categories the API supports, with their absolute URLs (seed 003)."""
    base = str(request.base_url).rstrip("/")
    names = ["auth-token", *(e.name for e in ENDPOINTS), "register-file", "api/schema"]
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
    *data.ROUTES,
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
