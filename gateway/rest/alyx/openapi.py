"""The OpenAPI 3 document at ``/api/schema``, built from the endpoint declarations (their
records' fields from the mapping tables).

ONE reads it before its first ``rest()`` call (CLIENTS.md): the first path segment is the
endpoint; the methods are its actions (GET list, GET ``{key}`` read, POST create, PUT update,
PATCH partial_update, DELETE delete); the list operation's ``parameters[].name`` are the
filters it lets through; a ``requestBody`` must be a ``$ref`` into ``components.schemas``.
The collection path comes before the item path, as ONE takes the first path with a GET for
``list``. Every operation also lists the errors it may answer (ONE reads no response).

The same declarations are the Alyx part of ``/api/openapi.json`` (:func:`paths`,
:func:`components`): ONE's document with its schemas prefixed, each operation tagged and given
its security, and what ONE does not read here (the root,
``/auth-token``, ``/api/schema`` itself). ``/api/schema`` stays as ONE wants it: every key
of a path item there is a method to ONE, and a path it does not know would be an endpoint.
"""

from __future__ import annotations

from typing import Any

from gateway.http.openapi import (
    OPTIONAL,
    SIGNED_IN,
    Schema,
    error_responses,
    errors,
    openapi_document_response,
    paths_of,
)
from gateway.http.openapi import json_content as _json
from gateway.http.openapi import ref as _ref
from gateway.rest.alyx import auth
from gateway.rest.alyx.atlas import PROVENANCES
from gateway.rest.alyx.endpoints import ACTION_TYPES, ENDPOINTS, USER_ACTIONS, Endpoint
from gateway.rest.alyx.fields import Shape
from gateway.rest.alyx.query import DEFAULT_LIMIT, MAX_LIMIT
from resolvers.water import COLUMNS as WATER_COLUMNS

TAG = "Alyx"
PREFIX = "Alyx"

ERROR: Schema = {
    "type": "object",
    "description": 'Django REST framework\'s errors: {"detail", "status_code"}, or '
    '{"<field>": ["..."]} (bad credentials: {"non_field_errors": ["..."]}).',
    "minProperties": 1,
    "properties": {"detail": {"type": "string"}, "status_code": {"type": "integer"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR_TEXTS = {
    400: "a filter, lookup, page or field the endpoint does not take, or bad credentials.",
    403: 'an invalid or expired token ("Invalid token.": ONE logs in again), or not allowed.',
    401: "a data file asked for without credentials (an HTTP basic challenge).",
    404: "no such record, or one the caller may not see (the same answer).",
    406: "the Accept header asks only for Alyx versions other than v1.",
    409: "the record changed underneath the request.",
    429: "too many requests; retry after Retry-After seconds.",
}
_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
# The OpenAPI schema of each writable Alyx field (a plain string unless listed).
FIELD_SCHEMAS: dict[str, Schema] = {
    "birth_date": {"type": "string", "format": "date", "nullable": True},
    "death_date": {"type": "string", "format": "date", "nullable": True},
    "start_time": {"type": "string", "format": "date-time", "nullable": True},
    "end_time": {"type": "string", "format": "date-time", "nullable": True},
    "number": {"type": "integer", "nullable": True},
    "n_trials": {"type": "integer", "nullable": True},
    "n_correct_trials": {"type": "integer", "nullable": True},
    "projects": _STRINGS,
    "users": _STRINGS,
    "genotype": _STRINGS,
    "json": {"type": "object", "nullable": True},
    "sex": {"type": "string", "enum": ["M", "F", "U"]},
    "qc": {"type": "string", "enum": ["NOT_SET", "PASS", "WARNING", "FAIL", "CRITICAL"]},
    **{
        name: {"type": "number", "nullable": True}
        for name in ("x", "y", "z", "depth", "theta", "phi", "roll")
    },
    "provenance": {"type": "string", "enum": list(PROVENANCES.values())},
}
_PAGING = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Records per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "The index of the first record to return.",
        "schema": {"type": "integer", "minimum": 0},
    },
]
_DJANGO = {
    "name": "django",
    "in": "query",
    "required": False,
    "description": "Comma-separated field__lookup,value pairs; lookups: exact, iexact, "
    "icontains, startswith, gt, gte, lt, lte, in, isnull; ~field excludes (exact only).",
    "schema": {"type": "string"},
}


def _answers(operation: Schema, path: str) -> Schema:
    """``operation`` with the errors it may answer besides its success."""
    statuses = {400, 403, 406, 429} | ({404} if "{" in path else set())
    if operation["operationId"].endswith(("_create", "_update", "_delete")):
        statuses.add(409)
    return {**operation, "responses": {**operation["responses"], **errors(PREFIX, statuses)}}


def _list_parameters(endpoint: Endpoint) -> list[Schema]:
    declared = [
        {
            "name": param.name,
            "in": "query",
            "required": False,
            "description": param.description,
            "schema": {"type": param.type},
        }
        for param in endpoint.filters.params
    ]
    return [*declared, _DJANGO, *_PAGING]


def _paths(endpoint: Endpoint) -> dict[str, Schema]:
    name, record = endpoint.name, endpoint.record_name
    key = {
        "name": endpoint.key,
        "in": "path",
        "required": True,
        "schema": {
            "type": "string",
            **({"format": endpoint.key_format} if endpoint.key_format else {}),
        },
    }
    page = _json(_ref(f"Paginated{record}List"), f"A page of {name}.")
    one = _json(_ref(record), f"One of the {name}.")
    collection: Schema = {
        "get": {
            "operationId": f"{name}_list",
            "description": endpoint.description,
            "parameters": _list_parameters(endpoint),
            "responses": {"200": page},
        }
    }
    # Path parameters go on each operation: ONE reads every key of a path item as a method.
    item: Schema = {
        "get": {"operationId": f"{name}_read", "parameters": [key], "responses": {"200": one}}
    }
    writes = endpoint.writes
    body = {
        "required": True,
        "content": {"application/json": {"schema": _ref(f"{record}Request")}},
    }
    partial = {"content": {"application/json": {"schema": _ref(f"Patched{record}Request")}}}
    if writes is not None and writes.create is not None:
        collection["post"] = {
            "operationId": f"{name}_create",
            "requestBody": body,
            "responses": {"201": one},
        }
    if writes is not None and writes.update is not None:
        item["put"] = {
            "operationId": f"{name}_update",
            "parameters": [key],
            "requestBody": body,
            "responses": {"200": one},
        }
        item["patch"] = {
            "operationId": f"{name}_partial_update",
            "parameters": [key],
            "requestBody": partial,
            "responses": {"200": one},
        }
    if writes is not None and writes.delete is not None:
        item["delete"] = {
            "operationId": f"{name}_delete",
            "parameters": [key],
            "responses": {"204": {"description": "Deleted."}},
        }
    paths = [(f"/{name}", collection)]
    if endpoint.items:
        paths.append((f"/{name}/{{{endpoint.key}}}", item))
    return {
        path: {method: _answers(operation, path) for method, operation in operations.items()}
        for path, operations in paths
    }


def _record(shape: Shape, description: str) -> Schema:
    """A record's fields, from its mapping table (:meth:`Shape.schema`)."""
    return {**shape.schema(), "description": description}


def _schemas(endpoint: Endpoint) -> dict[str, Schema]:
    record = endpoint.record_name
    summary = f"{record}Summary" if endpoint.summary is not endpoint.detail else record
    schemas: dict[str, Schema] = {
        record: _record(endpoint.detail, f"One of the {endpoint.name}."),
        summary: _record(endpoint.summary, f"One of the {endpoint.name}, as lists show it."),
        f"Paginated{record}List": {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer"},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": {"type": "array", "items": _ref(summary)},
            },
        },
    }
    if endpoint.writes is not None:
        fields = endpoint.writes.fields
        properties = {
            field: FIELD_SCHEMAS.get(field, {"type": "string", "nullable": True})
            for field, (unified, _) in fields.writable.items()
            if unified in fields.accepted
        }
        schemas[f"{record}Request"] = {"type": "object", "properties": properties}
        schemas[f"Patched{record}Request"] = {"type": "object", "properties": properties}
    return schemas


def _action_records() -> list[str]:
    """The records ``/users/{username}/actions`` may list, each named once."""
    return list(dict.fromkeys(a.endpoint.record_name for a in USER_ACTIONS.values()))


def _actions() -> dict[str, Schema]:
    return {
        "/users/{username}/actions": {
            "get": {
                "operationId": "users_actions",
                "description": "A user's actions of one type (experiment when none is "
                "given), each as its own endpoint lists it: sessions they ran, weighings "
                "they made, water they gave. Water restrictions, surgeries and procedures "
                "record no user here: their pages are empty.",
                "parameters": [
                    {
                        "name": "username",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "type",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(ACTION_TYPES)},
                    },
                    *_PAGING,
                ],
                "responses": {
                    "200": _json(
                        {"anyOf": [_ref(f"Paginated{record}List") for record in _action_records()]},
                        "A page of actions of the type asked.",
                    ),
                    **errors(PREFIX, (400, 403, 404, 406, 429)),
                },
            },
        }
    }


_DAY = {"type": "string", "format": "date"}
_FIGURE = {"type": "number"}
WATER_REQUIREMENT: Schema = {
    "type": "object",
    "required": [
        "subject",
        "implant_weight",
        "reference_weight_pct",
        "zscore_weight_pct",
        "records",
    ],
    "description": "A subject's water requirement, one record a day (Alyx's figures).",
    "properties": {
        "subject": {"type": "string"},
        "implant_weight": _FIGURE,
        "reference_weight_pct": _FIGURE,
        "zscore_weight_pct": _FIGURE,
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "date": _DAY,
                    **{name: _FIGURE for name in WATER_COLUMNS[1:-2]},
                    "weighing_at": {"type": "number", "nullable": True},
                    "is_water_restricted": {"type": "boolean"},
                    "implant_weight": _FIGURE,
                },
            },
        },
    },
}


def _water_requirement() -> dict[str, Schema]:
    days = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"The {when} day (YYYY-MM-DD); default: {default}.",
            "schema": _DAY,
        }
        for name, when, default in (
            ("start_date", "first", "its first weighing or water given"),
            ("end_date", "last", "today"),
        )
    ]
    return {
        "/water-requirement/{nickname}": {
            "get": {
                "operationId": "water-requirement_read",
                "description": "A subject's water requirement day by day.",
                "parameters": [
                    {
                        "name": "nickname",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    *days,
                ],
                "responses": {
                    "200": _json(_ref("WaterRequirement"), "Its water requirement."),
                    **errors(PREFIX, (400, 403, 404, 406, 429)),
                },
            }
        }
    }


def document() -> Schema:
    """The whole OpenAPI 3 document."""
    paths: dict[str, Schema] = {}
    schemas: dict[str, Schema] = {}
    for endpoint in ENDPOINTS:
        paths.update(_paths(endpoint))
        schemas.update(_schemas(endpoint))
    paths.update(_actions())
    paths.update(_water_requirement())
    schemas["WaterRequirement"] = WATER_REQUIREMENT
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "neurogate: Alyx-compatible REST API",
            "version": "1",
            "description": "Send Authorization: Token <key>, from POST /auth-token.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, **schemas},
            "responses": error_responses(
                PREFIX, _ref("Error"), ERROR_TEXTS, unauthenticated="Token"
            ),
            "securitySchemes": {
                "tokenAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": 'Token-based authentication: "Token <key>".',
                }
            },
        },
        "security": [{"tokenAuth": []}, {}],
    }


# --- the Alyx part of /api/openapi.json --------------------------------------------------------

_SCHEMAS = "#/components/schemas/"
_AUXILIARY: dict[str, Schema] = {
    "/": {
        "get": {
            "operationId": "alyx_root",
            "tags": [TAG],
            "description": "The endpoint categories, with their absolute URLs.",
            "responses": {
                "200": _json(
                    {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}},
                    "URL by endpoint name.",
                ),
                **errors(PREFIX, (403, 406, 429)),
            },
        }
    },
    # Registering files a lab keeps (gateway/rest/alyx/data.py), as ONE's RegistrationClient
    # does, and downloading them from their data URL.
    "/register-file": {
        "post": {
            "operationId": "alyx_register_file",
            "tags": [TAG],
            "description": "Make each named file a dataset of the session `path` names "
            "(subject/YYYY-MM-DD/NNN), with a file record in the repository `name` names; "
            "hashes and sizes given are checked against the bytes.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["path", "filenames"],
                            "properties": {
                                "path": {"type": "string"},
                                "filenames": {"type": "array", "items": {"type": "string"}},
                                "hashes": {"type": "array", "items": {"type": "string"}},
                                "filesizes": {"type": "array", "items": {"type": "integer"}},
                                "versions": {"type": "array", "items": {"type": "string"}},
                                "name": {"type": "string"},
                                "exists": {"type": "boolean"},
                                "default": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(
                    {"type": "array", "items": {"type": "object"}}, "The datasets registered."
                ),
                **errors(PREFIX, (400, 403, 404, 406, 429)),
            },
        }
    },
    "/check-protected": {
        "get": {
            "operationId": "alyx_check_protected",
            "tags": [TAG],
            "description": "Whether registering the named files (relative to `path`, "
            "subject/YYYY-MM-DD/NNN[/collection]) would overwrite a dataset a protected tag "
            "holds. Asked as ONE asks it, in a JSON body sent with the GET, or in the query "
            "string (filenames comma-separated). Both answers are HTTP 200, as Alyx's: "
            "`status_code` 200 when none is protected, 403 with each file's datasets by "
            "revision (`{file: [{revision: protected}]}`) when one is.",
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in ("path", "filenames", "created_by")
            ],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "path": {"type": "string"},
                                "filenames": {"type": "array", "items": {"type": "string"}},
                                "created_by": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["status_code", "details"],
                        "properties": {
                            "status_code": {"type": "integer", "enum": [200, 403]},
                            "error": {"type": "string"},
                            "details": {
                                "oneOf": [
                                    {"type": "string"},
                                    {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "additionalProperties": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "additionalProperties": {"type": "boolean"},
                                                },
                                            },
                                        },
                                    },
                                ]
                            },
                        },
                    },
                    "The verdict, in status_code.",
                ),
                **errors(PREFIX, (400, 403, 406, 429)),
            },
        }
    },
    "/data/{path}": {
        "get": {
            "operationId": "alyx_data_file",
            "tags": [TAG],
            "description": "A registered file's bytes, at its file record's data URL "
            "(<lab>/Subjects/<subject>/<date>/<number>/<collection>/<name>.<uuid>.<ext>); "
            "HTTP basic or Token authentication.",
            "parameters": [
                {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                **errors(PREFIX, (401, 403, 404, 429)),
            },
        }
    },
    # ONE's cache tables (gateway/rest/alyx/cache.py): here, not in ONE's /api/schema, which
    # ONE reads for its REST endpoints.
    "/cache/info": {
        "get": {
            "operationId": "alyx_cache_info",
            "tags": [TAG],
            "description": "When the caller's cache tables were made, their sizes, the oldest "
            "ONE that reads them and their location.",
            "responses": {
                "200": _json({"type": "object"}, "The cache_info.json of the tables."),
                **errors(PREFIX, (403, 404, 406, 429)),
            },
        }
    },
    "/cache/info/{tag}": {
        "get": {
            "operationId": "alyx_cache_info_of_tag",
            "tags": [TAG],
            "description": "Tables of a dataset tag: none are kept (404).",
            "parameters": [
                {"name": "tag", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {**errors(PREFIX, (403, 404, 406, 429))},
        }
    },
    "/cache.zip": {
        "get": {
            "operationId": "alyx_cache_zip",
            "tags": [TAG],
            "description": "The caller's cache tables: sessions.pqt, datasets.pqt and "
            "cache_info.json, streamed.",
            "responses": {
                "200": {
                    "description": "The zip.",
                    "content": {
                        "application/zip": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                **errors(PREFIX, (403, 404, 406, 429)),
            },
        }
    },
    "/api/schema": {
        "get": {
            "operationId": "alyx_schema",
            "tags": [TAG],
            "description": "The OpenAPI 3 document ONE reads (the Alyx endpoints only).",
            "security": [],
            "responses": {
                "200": openapi_document_response(),
                **errors(PREFIX, (406, 429)),
            },
        }
    },
}
_AUTH_TOKEN: Schema = {
    "description": "Log in: a token for Authorization: Token <key> (24 h).",
    "security": [],
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                }
            }
            for media in ("application/x-www-form-urlencoded", "application/json")
        },
    },
    "responses": {
        "200": _json(
            {
                "type": "object",
                "required": ["token"],
                "additionalProperties": False,
                "properties": {"token": {"type": "string"}},
            },
            "The token.",
        ),
        **errors(PREFIX, (400, 429)),
    },
}


def _prefixed(node: Any) -> Any:
    """A copy of ``node`` whose schema references carry the family's prefix."""
    if isinstance(node, dict):
        return {
            key: value.replace(_SCHEMAS, _SCHEMAS + PREFIX) if key == "$ref" else _prefixed(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_prefixed(value) for value in node]
    return node


def _decorated(method: str, operation: Schema) -> Schema:
    return {**operation, "tags": [TAG], "security": OPTIONAL if method == "get" else SIGNED_IN}


def paths() -> dict[str, Schema]:
    """The Alyx paths: ONE's, then the root, /api/schema and /auth-token."""
    documented: dict[str, Schema] = {
        path: {method: _decorated(method, op) for method, op in item.items()}
        for path, item in _prefixed(document()["paths"]).items()
    }
    documented.update(_AUXILIARY)
    documented.update(paths_of(auth.ROUTES, {auth.auth_token: _AUTH_TOKEN}, tag=TAG))
    return documented


def components() -> dict[str, dict[str, Schema]]:
    own = document()["components"]
    schemas = {PREFIX + name: schema for name, schema in own["schemas"].items()}
    return {"schemas": _prefixed(schemas), "responses": _prefixed(own["responses"])}
