"""The BrainSTEM family of the REST shim (seeds 001, 002): ``/api/{portal}/{app}/{model}/``,
``…/{id}/``, ``…/{id}/accept|reject`` and a log's ``…/{id}/add_entry|change_entry|remove_entry``,
for the ``public``, ``private`` and ``super`` portals.

Thin by design: the URL picks a model (by its name; the app segment only has to be one the
model is served under), the query string is parsed into the shared query spec
(:mod:`.query`), reads and writes go to the resolvers GraphQL uses, and rows come
back as BrainSTEM records (:mod:`.records`) in BrainSTEM's envelopes:
``{"<plural>": [...], "count", "next", "previous"}`` and ``{"<singular>": {...}}``.
Visibility, permissions and approvals are decided in the resolvers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.principal import Portal
from gateway.auth.visibility import in_portal
from gateway.errors import MethodNotAllowed, NotFound
from gateway.http.errors import json_response
from gateway.http.pagination import offset_links
from gateway.http.requests import context_of, json_body, principal_of
from gateway.rest.brainstem import BrainstemRoute, auth, device, schemas, writes
from gateway.rest.brainstem.models import BY_URL_NAME, MODELS, Model
from gateway.rest.brainstem.query import parse_include, parse_list
from gateway.rest.brainstem.records import read_record, read_records, scope
from resolvers.context import Context
from resolvers.log_entries import ENTRY_ACTIONS, edited_entries

READS = frozenset({"GET", "HEAD"})
ACTIONS = frozenset({"accept", "reject"})


def _model(app: str, name: str) -> Model:
    model = BY_URL_NAME.get(name)
    if model is None or app not in model.apps:
        raise NotFound(f"No model '{name}' under '{app}'.")
    return model


def _key(model: Model, raw: str) -> Any:
    """The id in the URL, typed; a malformed one is a 400 naming ``id``."""
    return model.entity.field_spec("id").coerce("id", raw)


async def _one(ctx: Context, model: Model, key: Any, status: int = 200) -> Response:
    record = await read_record(ctx, model, key, {})
    return json_response({model.singular: record}, status)


async def list_records(request: Request, ctx: Context, model: Model) -> Response:
    spec, include = parse_list(
        model, request.query_params, max_limit=ctx.settings.max_page_size, base=scope(model)
    )
    records, found = await read_records(ctx, model, spec, include, with_total=True)
    assert found.total is not None
    following, previous = offset_links(request.url, found.window, found.total)
    return json_response(
        {model.plural: records, "count": found.total, "next": following, "previous": previous}
    )


async def _read_one(request: Request, ctx: Context, model: Model, key: Any) -> Response:
    include = parse_include(model, request.query_params.getlist("include[]"))
    return json_response({model.singular: await read_record(ctx, model, key, include)})


async def _collection(request: Request, ctx: Context, model: Model) -> Response:
    if request.method in READS:
        return await list_records(request, ctx, model)
    if request.method == "POST":
        written = await writes.create(ctx, model, await json_body(request, required=True))
        return await _one(ctx, written.model, written.row.id, written.status)
    raise MethodNotAllowed(f'Method "{request.method}" not allowed.')


async def _item(request: Request, ctx: Context, model: Model, key: Any) -> Response:
    method = request.method
    if method in READS:
        return await _read_one(request, ctx, model, key)
    if method in ("PATCH", "PUT"):
        body = await json_body(request, required=True)
        written = await writes.update(ctx, model, key, body, replace=method == "PUT")
        return await _one(ctx, written.model, written.row.id, written.status)
    if method == "DELETE":
        await writes.delete(ctx, model, key)
        return Response(status_code=204)
    raise MethodNotAllowed(f'Method "{method}" not allowed.')


def _keeps_entries(model: Model) -> bool:
    return any(pair.entries for pair in model.entity.structured)


async def _action(request: Request, ctx: Context, model: Model, key: Any, action: str) -> Response:
    """``PATCH …/{id}/accept`` or ``/reject`` (BrainSTEM's current docs and both clients);
    ``PATCH …/{id}/add_entry`` (``change_entry``, ``remove_entry``) on a log; an invitation's
    or request's ``accept``, ``reject`` and ``cancel``, a group's ``join`` and ``leave``, which
    the client sends as ``load(model, id=…, options=…)``: a GET."""
    if action in model.actions:
        if request.method not in ("GET", "PATCH", "POST"):
            raise MethodNotAllowed(f'Method "{request.method}" not allowed.')
        acted = await writes.act(ctx, model, key, action)
        if isinstance(acted, str):
            return json_response({"detail": acted})
        return await _one(ctx, acted.model, acted.row.id, acted.status)
    entries = action in ENTRY_ACTIONS and _keeps_entries(model)
    if action not in ACTIONS and not entries:
        raise NotFound("Not found.")
    if request.method not in ("PATCH", "POST"):
        raise MethodNotAllowed(f'Method "{request.method}" not allowed.')
    if entries:
        current = await read_record(ctx, model, key, {})
        body = await json_body(request, required=True)
        edited = edited_entries(current["entries"], action, body)
        written = await writes.update(ctx, model, key, {"entries": edited}, replace=False)
    else:
        written = await writes.review(ctx, model, key, action)
    return await _one(ctx, written.model, written.row.id)


async def _dispatch(request: Request, portal: Portal) -> Response:
    segments = [s for s in request.path_params["path"].split("/") if s]
    if not 2 <= len(segments) <= 4:
        raise NotFound("Not found.")
    app, name, *rest = segments
    model = _model(app, name)
    if portal is Portal.PUBLIC and (request.method not in READS or len(rest) == 2):
        raise MethodNotAllowed("The public portal is read-only.")
    ctx = context_of(request, in_portal(principal_of(request), portal))
    if not rest:
        return await _collection(request, ctx, model)
    key = _key(model, rest[0])
    if len(rest) == 1:
        return await _item(request, ctx, model, key)
    return await _action(request, ctx, model, key, rest[1])


def _portal_endpoint(portal: Portal) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _dispatch(request, portal)

    return endpoint


class _AppSegment(Convertor[str]):
    """A URL segment naming one of BrainSTEM's apps (``stem``, ``taxonomies``, ...)."""

    regex = "|".join(
        map(re.escape, sorted({app for model in MODELS.values() for app in model.apps}))
    )

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("brainstem_app", _AppSegment())


async def _no_such_portal(request: Request) -> Response:
    portals = ", ".join(portal.value for portal in Portal)
    raise NotFound(f"No portal '{request.path_params['portal']}' (the portals: {portals}).")


METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
# One route per portal, so nothing else under /api/ (auth, tokens, BrainMaps) can collide.
PORTAL_ROUTES = [
    BrainstemRoute(
        f"/api/{portal.value}/{{path:path}}",
        _portal_endpoint(portal),
        methods=METHODS,
        name=f"brainstem_{portal.value}",
    )
    for portal in Portal
]
# A BrainSTEM URL (an app, then a model) under a portal that does not exist: BrainSTEM's 404,
# not that of the family whose URLs share its first segments (BrainMaps' /api/categories/...).
# No other family has URLs this deep under /api/.
UNKNOWN_PORTAL = BrainstemRoute(
    "/api/{portal}/{app:brainstem_app}/{model}/{rest:path}",
    _no_such_portal,
    methods=METHODS,
    name="brainstem_unknown_portal",
)
# The family's whole route table, as the app mounts it.
ROUTES = [*auth.ROUTES, *device.ROUTES, *schemas.ROUTES, *PORTAL_ROUTES, UNKNOWN_PORTAL]
