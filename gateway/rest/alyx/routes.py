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
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.principal import Portal
from gateway.auth.visibility import in_portal
from gateway.errors import NotFound, QueryError, Unauthenticated
from gateway.http import files
from gateway.http.errors import json_response
from gateway.http.openapi import openapi_media
from gateway.http.pagination import offset_links
from gateway.http.requests import context_of, form_or_json
from gateway.rest.alyx import AlyxRoute, actions, auth, data, openapi
from gateway.rest.alyx import cache as cache_tables
from gateway.rest.alyx.endpoints import (
    ACTION_TYPES,
    ENDPOINTS,
    SUBJECTS,
    USER_ACTIONS,
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
from resolvers.water import requirement_day

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


def _answering_write(request: Request, ctx: Context) -> Context:
    """The context the record a write returns is read in. An administrator may write a record
    the visibility rule does not show them (a subject of a lab they are not in, for someone
    else): Alyx answers its superusers the record they wrote, so it is read in the super
    view. Reads otherwise keep the one rule, the same as on every surface."""
    if not ctx.principal.is_admin:
        return ctx
    return context_of(request, in_portal(ctx.principal, Portal.SUPER))


def _env(request: Request, ctx: Context) -> Env:
    now = ctx.now()
    return Env(Urls(str(request.base_url).rstrip("/")), now.date(), now=now.replace(tzinfo=None))


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
        raise NotFound(f"No {endpoint.model_name} matches the given query.")  # Django's Http404
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
        writes = endpoint.writes
        if request.method == "POST" and writes is not None and writes.create is not None:
            fields = writes.fields
            values = await fields.values(ctx, await form_or_json(request))
            row = await fields.run(writes.create(ctx, values))
            key = getattr(row, entity.key)
            reader = _answering_write(request, ctx)
            node = await _one(reader, endpoint, endpoint.detail.include, entity.key, key)
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
        writes = endpoint.writes
        if request.method == "GET" or writes is None:
            _require_reader(ctx, endpoint, "detail")
            node = await _one(ctx, endpoint, detail.include, endpoint.lookup, value)
            return json_response(detail.render(node, _env(request, ctx)))
        target = await _one(ctx, endpoint, Include(), endpoint.lookup, value)
        key = getattr(target, entity.key)
        if request.method == "DELETE" and writes.delete is not None:
            await writes.delete(ctx, key)
            return Response(status_code=204)
        assert writes.update is not None  # the route serves only the methods it has
        fields = writes.fields
        values = await fields.values(ctx, await form_or_json(request))
        mode = Mode.REPLACE if request.method == "PUT" else Mode.PATCH
        await fields.run(writes.update(ctx, key, values, mode))
        node = await _one(_answering_write(request, ctx), endpoint, detail.include, entity.key, key)
        return json_response(detail.render(node, _env(request, ctx)))

    return handle


def item_methods(endpoint: Endpoint) -> list[str]:
    """The HTTP methods of one record: GET, and the writes it takes."""
    writes = endpoint.writes
    if writes is None:
        return ["GET"]
    return [
        "GET",
        *(["PUT", "PATCH"] if writes.update else []),
        *(["DELETE"] if writes.delete else []),
    ]


def _routes(endpoint: Endpoint) -> list[AlyxRoute]:
    creates = endpoint.writes is not None and endpoint.writes.create is not None
    collection = ["GET", "POST"] if creates else ["GET"]
    path = f"/{endpoint.name}"
    key = f"{path}/{{{endpoint.key}}}"
    list_handler = _negotiated(_collection(endpoint))
    item_handler = _negotiated(_item(endpoint))
    items = (key, f"{key}/") if endpoint.items else ()
    return [
        *(AlyxRoute(p, list_handler, methods=collection) for p in (path, f"{path}/")),
        *(AlyxRoute(p, item_handler, methods=item_methods(endpoint)) for p in items),
    ]


# --- the rest of the family --------------------------------------------------------------------


async def user_actions(request: Request) -> Response:
    """A user's actions of one ``type`` (sessions when none is given), each rendered as its
    own endpoint's list renders it, visibility applied as there."""
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated(NOT_AUTHENTICATED)
    params = request.query_params
    kind = params.get("type", "experiment").strip().lower()
    actions_of = USER_ACTIONS.get(kind)
    if actions_of is None:
        raise QueryError(f"Unknown action type '{kind}'. Types: {', '.join(ACTION_TYPES)}.")
    window = alyx_window(params)
    user = await get_row(ctx, catalog.USER, "username", request.path_params["username"])
    endpoint = actions_of.endpoint
    if actions_of.by is None:
        return _page(request, Read(nodes=[], total=0, window=window), [])
    by_user = Filter(actions_of.by, "eq", user.username)
    where = by_user if endpoint.scope is None else AllOf((by_user, endpoint.scope))
    page = await _list(ctx, endpoint, QuerySpec(where=where, window=window))
    return _page(request, page, _render(endpoint.summary, page.nodes, _env(request, ctx)))


async def water_requirement(request: Request) -> Response:
    """A subject's water requirement day by day (Alyx's ``WaterRequirement`` view): from
    ``start_date`` (its first weighing or water given) to ``end_date`` (today), both
    ``YYYY-MM-DD``, with its implant weight and its lab's weight percentages."""
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated(NOT_AUTHENTICATED)
    nickname = request.path_params["nickname"]
    params = request.query_params
    start, end = (_requirement_day(params, name) for name in ("start_date", "end_date"))
    node = await _one(ctx, SUBJECTS, actions.WATER_CONTROL, "nickname", nickname)
    control = actions.water_control(node, ctx.now().replace(tzinfo=None))
    return json_response(
        {
            "subject": nickname,
            "implant_weight": control.reference_implant_weight_at(
                None if start is None else start.replace(hour=0)
            ),
            "reference_weight_pct": control.reference_weight_pct,
            "zscore_weight_pct": control.zscore_weight_pct,
            "records": control.requirement(start, end),
        }
    )


def _requirement_day(params: Any, name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return requirement_day(raw)
    except ValueError:
        raise QueryError(f"'{name}' takes a date as YYYY-MM-DD, not {raw!r}.") from None


async def root(request: Request) -> Response:
    """The endpoint categories the API supports, with their absolute URLs (seed 003)."""
    base = str(request.base_url).rstrip("/")
    names = [
        "auth-token",
        *(e.name for e in ENDPOINTS),
        "water-requirement",
        "register-file",
        "check-protected",
        "api/schema",
    ]
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
    *_both("/water-requirement/{nickname}", water_requirement),
    *_both("/api/schema", schema),
    # ONE's cache tables (ONE asks cache/info with a trailing slash stripped).
    *_both("/cache/info", cache_tables.cache_info),
    *_both("/cache/info/{tag}", cache_tables.cache_info),
    AlyxRoute("/cache.zip", _negotiated(cache_tables.cache_zip), methods=["GET"]),
    # The data URL of a dataset ends with the ALF path ONE parses (lab/Subjects/subject/date/
    # number/collection/name); the file itself is the upload's ordinary download. Only Alyx
    # records point here and ONE fetches it, so it answers as Alyx (403 "Invalid token." is
    # what makes ONE sign in again).
    AlyxRoute("/files/{upload_id:int}/{alf_path:path}", files.download, methods=["GET"]),
]
