"""The OpenAPI 3.0 objects every family's part of ``/api/openapi.json`` is made of: references,
JSON media types, parameters, the schema of a query-spec field kind, error responses in a
family's own error format, and the paths of a route table.

The families' builders (``gateway/rest/<family>/openapi.py``) and the assembly
(:mod:`gateway.rest.openapi`) share these, so every part of the document says the same thing
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from starlette.routing import BaseRoute, Route

from resolvers.query import Kind

Schema = dict[str, Any]

# The security schemes (``components.securitySchemes``): the middleware takes a token after
# either word, so every operation accepts both; Alyx's clients send ``Token``.
BEARER = "bearerAuth"
ALYX_TOKEN = "alyxToken"
SIGNED_IN: list[Schema] = [{BEARER: []}, {ALYX_TOKEN: []}]
OPTIONAL: list[Schema] = [*SIGNED_IN, {}]

KIND_SCHEMAS: Mapping[Kind, Schema] = {
    Kind.STRING: {"type": "string"},
    Kind.INT: {"type": "integer"},
    Kind.BIGINT: {"type": "integer", "format": "int64"},
    Kind.FLOAT: {"type": "number"},
    Kind.BOOL: {"type": "boolean"},
    Kind.DATETIME: {"type": "string", "format": "date-time"},
    Kind.DATE: {"type": "string", "format": "date"},
    Kind.UUID: {"type": "string", "format": "uuid"},
}
# The schema of a path parameter, by the Starlette convertor of its route.
CONVERTOR_SCHEMAS: Mapping[str, Schema] = {
    "IntegerConvertor": {"type": "integer", "minimum": 0},
    "FloatConvertor": {"type": "number", "minimum": 0},
    "UUIDConvertor": {"type": "string", "format": "uuid"},
    "PathConvertor": {"type": "string", "description": "A path: it may hold slashes."},
}
RATE_LIMIT_HEADERS: Schema = {
    name: {"description": text, "schema": {"type": "integer"}}
    for name, text in (
        ("X-RateLimit-Limit", "Requests allowed in the current window."),
        ("X-RateLimit-Remaining", "Requests left in the current window."),
        ("X-RateLimit-Reset", "When the window resets, in UNIX seconds."),
    )
}
_TEMPLATE = re.compile(r"\{(\w+)(?::\w+)?\}")


def ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: Schema, description: str) -> Schema:
    """A response (or request body, without its description) of JSON ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# OpenAPI documents are served as JSON, or as this media type when a client asks for it.
OPENAPI_MEDIA = "application/vnd.oai.openapi+json"


def openapi_media(accept: str) -> str:
    """The media type to serve an OpenAPI document as, for an ``Accept`` header."""
    return OPENAPI_MEDIA if OPENAPI_MEDIA in accept else "application/json"


def openapi_document_response() -> Schema:
    """The 200 response of an endpoint serving an OpenAPI document."""
    document = {"schema": {"type": "object", "required": ["openapi", "paths"]}}
    return {
        "description": "An OpenAPI 3 document.",
        "content": {media: document for media in ("application/json", OPENAPI_MEDIA)},
    }


def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True} if "type" in schema else schema


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def path_parameter(name: str, schema: Schema, description: str = "") -> Schema:
    parameter = {"name": name, "in": "path", "required": True, "schema": schema}
    return {**parameter, "description": description} if description else parameter


def header(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


def openapi_path(route_path: str) -> str:
    """A Starlette route path as an OpenAPI path template: ``{id:int}`` -> ``{id}``."""
    return _TEMPLATE.sub(r"{\1}", route_path)


def error_responses(
    prefix: str, schema: Schema, texts: Mapping[int, str], *, unauthenticated: str = "Bearer"
) -> dict[str, Schema]:
    """``components.responses`` for a family's errors, named ``<prefix>Error<status>``."""
    responses = {}
    for status, text in texts.items():
        response = json_content(schema, f"{HTTPStatus(status).phrase}: {text}")
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string", "example": unauthenticated}}
            }
        if status == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
                **RATE_LIMIT_HEADERS,
            }
        responses[f"{prefix}Error{status}"] = response
    return responses


def errors(prefix: str, statuses: Iterable[int]) -> dict[str, Schema]:
    """An operation's error responses: references to its family's error responses."""
    return {str(status): ref(f"{prefix}Error{status}", "responses") for status in sorted(statuses)}


def paths_of(
    routes: Iterable[BaseRoute],
    operations: Mapping[Any, Schema],
    *,
    tag: str,
    ignore: Iterable[Any] = (),
) -> dict[str, Schema]:
    """The path items of a route table: each route's methods, the operation its handler is
    documented by (a route whose handler has none is a ``KeyError``: nothing is served
    undocumented), and a path parameter for each parameter of its path that the operation
    does not declare itself, typed by the route's convertor."""
    skipped = set(ignore)
    paths: dict[str, Schema] = {}
    for route in routes:
        if not isinstance(route, Route) or route.endpoint in skipped:
            continue
        operation = operations[route.endpoint]
        path = openapi_path(route.path)
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
        implied = [
            path_parameter(name, CONVERTOR_SCHEMAS.get(type(c).__name__, {"type": "string"}))
            for name, c in route.param_convertors.items()
            if name not in declared
        ]
        parameters = [*implied, *operation.get("parameters", ())]
        slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")
        if path.endswith("/") and path.removesuffix("/") in paths:
            slug += "_slash"  # the same path without the slash is documented too
        for method in sorted((route.methods or set()) - {"HEAD"}):
            documented = {"operationId": f"{method.lower()}_{slug}", "tags": [tag], **operation}
            if parameters:
                documented["parameters"] = parameters
            paths.setdefault(path, {})[method.lower()] = documented
    return paths
