"""``GET /api/openapi.json``: one OpenAPI 3 document for the whole REST surface.

Assembled from each family's part (``gateway/rest/<family>/openapi.py``), which are built
from the declarations the shim runs on; the file downloads, which no family owns, are
documented here from their route tables. The document depends only on the code and the
page-size setting, so it is built once per process.
``/api/schema`` is a different document: the Alyx endpoints only, shaped for ONE.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.auth.principal import Portal
from gateway.http import files
from gateway.http.errors import ErrorFormat
from gateway.http.openapi import (
    ALYX_TOKEN,
    BEARER,
    OPTIONAL,
    Schema,
    errors,
    header,
    openapi_document_response,
    openapi_media,
    openapi_path,
    paths_of,
)
from gateway.http.routing import FamilyRoute
from gateway.rest.alyx import openapi as alyx_openapi
from gateway.rest.alyx import routes as alyx
from gateway.rest.braincircuits import openapi as braincircuits_openapi
from gateway.rest.brainmaps import openapi as brainmaps_openapi
from gateway.rest.brainstem import openapi as brainstem_openapi

FILES = "Files"
# The file downloads and this document answer errors in the default format, BrainSTEM's.
DRF = brainstem_openapi.PREFIX
TAGS = [
    {
        "name": brainstem_openapi.TAG,
        "description": "BrainSTEM (seeds 001, 002), as brainstem-python-api-tools uses it: "
        "/api/{portal}/{app}/{model}/ with filter{field.op}=, sort[]=, include[]=, "
        "limit/offset; JWT pairs, personal tokens and the device login.",
    },
    {
        "name": brainmaps_openapi.TAG,
        "description": "BrainMaps (seed 000): categories, species, brains and file uploads, "
        "paged by page/page_size, errors as {error, detail}; the same under /v1/api/ and /v1/.",
    },
    {
        "name": alyx_openapi.TAG,
        "description": "Alyx (seed 003), as ONE (one-api) uses it; /api/schema is the document "
        "ONE reads. Send Authorization: Token <key> from POST /auth-token.",
    },
    {
        "name": braincircuits_openapi.TAG,
        "description": "BrainCircuits.io segment properties (seed 004).",
    },
    {"name": FILES, "description": "Downloads of uploaded files (byte ranges, ETags)."},
    {"name": "OpenAPI", "description": "This document."},
]

_CONTENT = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
_ETAG = {"ETag": {"description": "The content's sha256.", "schema": {"type": "string"}}}
DOWNLOAD: Schema = {
    "description": "An upload's content, for those who may see the upload.",
    "parameters": [
        header("Range", {"type": "string"}, "One byte range: bytes=a-b, a- or -n."),
        header("If-Range", {"type": "string"}, "Honour Range only while this ETag holds."),
        header("If-None-Match", {"type": "string"}, "A 304 while this ETag holds."),
        header(
            "X-Neurogate-Portal",
            {"type": "string", "enum": [portal.value for portal in Portal]},
            "The view of the data to ask in (super: administrators see every upload).",
        ),
    ],
    "responses": {
        "200": {"description": "The whole file.", "headers": _ETAG, "content": _CONTENT},
        "206": {"description": "The byte range asked for.", "headers": _ETAG, "content": _CONTENT},
        "304": {"description": "Not modified.", "headers": _ETAG},
        "416": {"description": "Range not satisfiable."},
        **errors(DRF, (400, 401, 403, 404, 429)),
    },
}
# The same download under an Alyx dataset's data URL, which answers errors as Alyx does.
ALYX_DOWNLOAD: Schema = {
    **DOWNLOAD,
    "responses": {
        **{status: r for status, r in DOWNLOAD["responses"].items() if "$ref" not in r},
        **errors(alyx_openapi.PREFIX, (400, 403, 404, 429)),
    },
}


async def serve(request: Request) -> Response:
    """The document, as JSON (or as the OpenAPI media type, when that is what is asked)."""
    media = openapi_media(request.headers.get("accept", ""))
    return Response(document_bytes(request.app.state.settings.max_page_size), media_type=media)


ROUTES: list[BaseRoute] = [
    FamilyRoute("/api/openapi.json", serve, methods=["GET"], errors=ErrorFormat.DRF)
]
THIS: Schema = {
    "description": "This document: every REST path the gateway serves.",
    "security": [],
    "responses": {
        "200": openapi_document_response(),
        **errors(DRF, (429,)),
    },
}


def _with_slash_twins(paths: dict[str, Schema], routes: Iterable[BaseRoute]) -> dict[str, Schema]:
    """``paths``, and after each one the form with a trailing slash where a route serves that
    too (Alyx serves both), documented as the same operations."""
    served = {openapi_path(route.path) for route in routes if isinstance(route, Route)}
    twinned: dict[str, Schema] = {}
    for path, item in paths.items():
        twinned[path] = item
        twin = f"{path}/"
        if twin in served and twin not in paths:
            twinned[twin] = {
                method: {
                    **operation,
                    "operationId": f"{operation['operationId']}_slash",
                    "description": f"The same as {method.upper()} {path}.",
                }
                for method, operation in item.items()
            }
    return twinned


def document(max_page_size: int) -> Schema:
    """The whole OpenAPI 3 document, for a gateway whose pages hold ``max_page_size`` rows."""
    # Alyx's dataset URLs end in the ALF path ONE parses; the file is the ordinary download.
    data_urls = [r for r in alyx.ROUTES if getattr(r, "endpoint", None) is files.download]
    paths: dict[str, Schema] = {
        **brainstem_openapi.paths(max_page_size),
        **brainmaps_openapi.paths(max_page_size),
        **alyx_openapi.paths(),
        **braincircuits_openapi.paths(),
        **paths_of(files.ROUTES, {files.download: DOWNLOAD}, tag=FILES),
        **paths_of(data_urls, {files.download: ALYX_DOWNLOAD}, tag=FILES),
        **paths_of(ROUTES, {serve: THIS}, tag="OpenAPI"),
    }
    paths = _with_slash_twins(paths, alyx.ROUTES)
    parts = [
        brainstem_openapi.components(),
        brainmaps_openapi.components(),
        alyx_openapi.components(),
        braincircuits_openapi.components(),
    ]
    components: dict[str, dict[str, Any]] = {"schemas": {}, "responses": {}}
    for part in parts:
        for kind, named in part.items():
            clash = components[kind].keys() & named.keys()
            assert not clash, f"two families name {sorted(clash)}"
            components[kind].update(named)
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A BrainSTEM access JWT or personal access token, or a BrainMaps "
            "login token, sent as `Authorization: Bearer` followed by the token.",
        },
        ALYX_TOKEN: {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Alyx\'s token, from POST /auth-token: "Token <key>" (any of the '
            "gateway's tokens is taken after either word).",
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "neurogate REST API",
            "version": "1",
            "description": "The REST compatibility shim of neurogate: the BrainSTEM, BrainMaps, "
            "Alyx and BrainCircuits APIs, and file downloads. Every answer carries "
            "X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset; errors use the "
            "format of the API asked. (GraphQL is served at /graphql.)",
        },
        "tags": TAGS,
        "security": OPTIONAL,
        "paths": paths,
        "components": components,
    }


@cache
def document_bytes(max_page_size: int) -> bytes:
    return orjson.dumps(document(max_page_size))
