"""BrainMaps' REST family (seed 000): categories, species, brains and file uploads.

Served at ``/api/...`` and, for seed 000's URL versioning, at ``/v1/api/...`` (the prefix of
the BrainMaps login routes) and ``/v1/...`` (the seed's example ``/v1/brains/``).

Every list answers ``{"count", "next", "previous", "results"}`` paged by ``page`` and
``page_size``. Seed 000 shows the category list as a bare array, but also says list endpoints
are paginated; one envelope for every list lets a client page them all the same way, so the
category list is paginated too.

Reads and writes call the business layer (``resolvers``); files are streamed into storage
while the multipart body arrives (:mod:`gateway.http.multipart`) and dropped unless kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from gateway.errors import BadRequest, NotFound
from gateway.http.errors import json_response
from gateway.http.multipart import UploadForm, read_multipart, request_storage
from gateway.http.pagination import page_links
from gateway.http.requests import context_of, json_body, require_user
from gateway.rest.brainmaps import BrainMapsRoute, auth, records
from gateway.rest.brainmaps.query import (
    BRAIN_PARAMS,
    CATEGORY_PARAMS,
    SPECIES_PARAMS,
    ListParams,
    list_spec,
)
from gateway.storage import StagedFile
from resolvers import brains, catalog
from resolvers.context import Context
from resolvers.listing import Page, get_row
from resolvers.query import Entity, Window
from resolvers.read import Include, Read, read, read_one

# What PATCH /api/brains/{id}/ may change, and the type each value must have.
BRAIN_CHANGES: Mapping[str, type] = {
    "name": str,
    "description": str,
    "species": str,
    "website": str,
    "is_reference": bool,
}
FILE_PARTS = ("file", "image")  # seed 000 names the brain's file `file`, BMb `image`
# The form fields a brain upload takes (BMb's form also sends `category` and `atlas`), and a
# file upload's; and the list parameters of one's own uploads.
BRAIN_FIELDS = frozenset({"name", "species", "description", "website", "category", "atlas"})
UPLOAD_FIELDS = frozenset({"name"})
UPLOAD_PARTS = ("file",)
UPLOAD_PARAMS = ListParams(filters={}, searchable=False)


def _paginated(request: Request, page: Page | Read, results: list[Any]) -> Response:
    count = page.total if page.total is not None else len(results)
    following, previous = page_links(request.url, page.window, count)
    return json_response(
        {"count": count, "next": following, "previous": previous, "results": results}
    )


async def _list(request: Request, entity: Entity, accepted: ListParams, include: Include) -> Read:
    ctx = context_of(request)
    spec = list_spec(request.query_params, accepted, max_page_size=ctx.settings.max_page_size)
    return await read(ctx, entity, spec, include, with_total=True)


async def list_categories(request: Request) -> Response:
    found = await _list(request, catalog.CATEGORY, CATEGORY_PARAMS, records.CATEGORY_INCLUDE)
    return _paginated(request, found, [records.category_json(node) for node in found.nodes])


async def get_category(request: Request) -> Response:
    name = request.path_params["name"]
    node = await read_one(
        context_of(request), catalog.CATEGORY, "name", name, records.CATEGORY_INCLUDE
    )
    return json_response(records.category_json(node))


async def list_species(request: Request) -> Response:
    found = await _list(request, catalog.SPECIES, SPECIES_PARAMS, records.SPECIES_INCLUDE)
    return _paginated(request, found, [records.species_json(node) for node in found.nodes])


async def get_species(request: Request) -> Response:
    name = request.path_params["name"]
    ctx = context_of(request)
    node = await read_one(ctx, catalog.SPECIES, "name", name, records.SPECIES_INCLUDE)
    return json_response(records.species_json(node))


async def list_brains(request: Request) -> Response:
    found = await _list(request, catalog.BRAIN, BRAIN_PARAMS, records.BRAIN_INCLUDE)
    results = [records.brain_json(request, node) for node in found.nodes]
    return _paginated(request, found, results)


async def _brain_response(
    request: Request, ctx: Context, field: str, value: Any, status: int = 200
) -> Response:
    node = await read_one(ctx, catalog.BRAIN, field, value, records.BRAIN_INCLUDE)
    return json_response(records.brain_json(request, node), status)


async def brain_by_readable_id(request: Request) -> Response:
    unknown = set(request.query_params) - {"readable_id"}
    readable_id = request.query_params.get("readable_id", "").strip()
    if unknown or not readable_id:
        raise BadRequest("Give the brain's readable_id, and nothing else: ?readable_id=...")
    return await _brain_response(request, context_of(request), "readable_id", readable_id)


def _brain_id(request: Request) -> int:
    raw = request.path_params["brain_id"]
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"A brain id is a whole number, not {raw!r}.") from None


async def get_brain(request: Request) -> Response:
    return await _brain_response(request, context_of(request), "id", _brain_id(request))


async def _read_upload(
    request: Request, staged: list[StagedFile], parts: tuple[str, ...]
) -> UploadForm:
    """The multipart form of a signed-in caller (refused before any byte is stored)."""
    require_user(request)
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest("Send the upload as multipart/form-data.")

    def check_file(name: str, _: Mapping[str, str]) -> None:
        if name not in parts:
            raise BadRequest(f"Unexpected file part '{name}'; send the file as '{parts[0]}'.")

    return await read_multipart(request, request_storage(request), staged, check_file=check_file)


def _one_file(form: UploadForm, parts: tuple[str, ...]) -> StagedFile:
    sent = [form.files[name] for name in parts if name in form.files]
    if len(sent) != 1:
        raise BadRequest(f"Send exactly one file, as '{parts[0]}'.")
    return sent[0]


async def create_brain(request: Request) -> Response:
    staged: list[StagedFile] = []
    try:
        form = await _read_upload(request, staged, FILE_PARTS)
        ctx = context_of(request)
        fields = form.fields
        unknown = set(fields) - BRAIN_FIELDS
        if unknown:
            raise BadRequest(f"Unknown field '{sorted(unknown)[0]}'.")
        if "category" in fields:  # BMb's form names it; the brain takes its species' category
            try:
                await get_row(ctx, catalog.CATEGORY, "name", fields["category"])
            except NotFound:
                raise BadRequest(f"Unknown category '{fields['category']}'.") from None
        row = await brains.upload_brain(
            ctx,
            file=_one_file(form, FILE_PARTS),
            name=fields.get("name", ""),
            species=fields.get("species", ""),
            description=fields.get("description", ""),
            website=fields.get("website", ""),
        )
        return await _brain_response(request, ctx, "id", row.id, 201)
    finally:
        for file in staged:  # received but not kept
            file.path.unlink(missing_ok=True)


async def update_brain(request: Request) -> Response:
    require_user(request)
    brain_id = _brain_id(request)
    body = await json_body(request, required=True)  # a change that changes nothing is no 200
    changes: dict[str, Any] = {}
    for name, value in body.items():
        wanted = BRAIN_CHANGES.get(name)
        if wanted is None:
            allowed = ", ".join(BRAIN_CHANGES)
            raise BadRequest(f"'{name}' cannot be changed here. Changeable: {allowed}.")
        if not isinstance(value, wanted):
            raise BadRequest(f"'{name}' must be a {wanted.__name__}.")
        changes[name] = value
    ctx = context_of(request)
    row = await brains.update_brain(ctx, brain_id=brain_id, **changes)
    return await _brain_response(request, ctx, "id", row.id)


async def delete_brain(request: Request) -> Response:
    require_user(request)
    await brains.delete_brain(context_of(request), brain_id=_brain_id(request))
    return Response(status_code=204)


async def list_uploads(request: Request) -> Response:
    require_user(request)
    ctx = context_of(request)
    spec = list_spec(
        request.query_params,
        UPLOAD_PARAMS,
        max_page_size=ctx.settings.max_page_size,
    )
    window = spec.window or Window(limit=ctx.settings.max_page_size)
    page = await brains.list_my_uploads(
        ctx, limit=window.limit, offset=window.offset, with_total=True
    )
    return _paginated(request, page, [records.upload_json(request, row) for row in page.rows])


async def create_upload(request: Request) -> Response:
    staged: list[StagedFile] = []
    try:
        form = await _read_upload(request, staged, UPLOAD_PARTS)
        unknown = set(form.fields) - UPLOAD_FIELDS
        if unknown:
            raise BadRequest(f"Unknown field '{sorted(unknown)[0]}'.")
        row = await brains.upload_file(
            context_of(request), file=_one_file(form, UPLOAD_PARTS), name=form.fields.get("name")
        )
        return json_response(records.upload_json(request, row), 201)
    finally:
        for file in staged:
            file.path.unlink(missing_ok=True)


def _routes(base: str) -> list[BaseRoute]:
    return [
        BrainMapsRoute(f"{base}/categories/", list_categories, methods=["GET"]),
        BrainMapsRoute(f"{base}/categories/{{name}}/", get_category, methods=["GET"]),
        BrainMapsRoute(f"{base}/species/", list_species, methods=["GET"]),
        BrainMapsRoute(f"{base}/species/{{name}}/", get_species, methods=["GET"]),
        BrainMapsRoute(f"{base}/brains/", list_brains, methods=["GET"]),
        BrainMapsRoute(f"{base}/brains/", create_brain, methods=["POST"]),
        BrainMapsRoute(f"{base}/brains/by_readable_id/", brain_by_readable_id, methods=["GET"]),
        BrainMapsRoute(f"{base}/brains/{{brain_id}}/", get_brain, methods=["GET"]),
        BrainMapsRoute(f"{base}/brains/{{brain_id}}/", update_brain, methods=["PATCH"]),
        BrainMapsRoute(f"{base}/brains/{{brain_id}}/", delete_brain, methods=["DELETE"]),
        BrainMapsRoute(f"{base}/file-uploads/", list_uploads, methods=["GET"]),
        BrainMapsRoute(f"{base}/file-uploads/", create_upload, methods=["POST"]),
    ]


# The family's whole route table, as the app mounts it.
ROUTES = [
    *auth.ROUTES,
    *(route for base in ("/api", "/v1/api", "/v1") for route in _routes(base)),
]
