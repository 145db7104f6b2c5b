"""BrainMaps' part of ``/api/openapi.json`` (seed 000): categories, species, brains, file
uploads and the login endpoints, under ``/api/`` and the ``/v1/`` copies.

The paths and methods are those of the route tables (:mod:`.routes`,
:mod:`.auth`), each documented by its handler; a list's query parameters are its
:class:`~.query.ListParams`, typed by the entity field each filters; the upload forms
and the brain changes are the handlers' own declarations. The records' shapes are those
:mod:`.records` renders (checked against real answers by the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.http.errors import BRAINMAPS_DETAILS, BRAINMAPS_TITLES
from gateway.http.openapi import (
    KIND_SCHEMAS,
    SIGNED_IN,
    Schema,
    error_responses,
    errors,
    json_content,
    nullable,
    path_parameter,
    paths_of,
    query,
    ref,
)
from gateway.rest.brainmaps import auth, routes
from gateway.rest.brainmaps.query import (
    BRAIN_PARAMS,
    CATEGORY_PARAMS,
    DEFAULT_PAGE_SIZE,
    SPECIES_PARAMS,
    ListParams,
)
from resolvers import catalog
from resolvers.query import Entity

TAG = "BrainMaps"
PREFIX = "Brainmaps"
ERROR: Schema = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "enum": sorted({*BRAINMAPS_TITLES.values(), "Error"})},
        "detail": {"type": "string"},
    },
}
_TYPES: Mapping[type, Schema] = {str: {"type": "string"}, bool: {"type": "boolean"}}
_TEXT, _ID, _WHEN = (
    {"type": "string"},
    {"type": "integer"},
    {"type": "string", "format": "date-time"},
)
_URL = {"type": "string", "format": "uri", "nullable": True}


def _object(properties: dict[str, Schema]) -> Schema:
    """A record: every field present (blank ones null where the record allows it)."""
    return {"type": "object", "required": list(properties), "properties": properties}


SCHEMAS: dict[str, Schema] = {
    f"{PREFIX}Error": ERROR,
    f"{PREFIX}Category": _object({"id": _ID, "name": _TEXT, "description": nullable(_TEXT)}),
    f"{PREFIX}Species": _object(
        {
            "id": {"type": "string", "format": "uuid"},
            "name": _TEXT,
            "scientific_name": nullable(_TEXT),
            "description": nullable(_TEXT),
            "category": nullable(_TEXT),
        }
    ),
    f"{PREFIX}Brain": _object(
        {
            "id": _ID,
            "uuid": {"type": "string", "format": "uuid"},
            "readable_id": _TEXT,
            "name": _TEXT,
            "description": nullable(_TEXT),
            "species": {**nullable(_TEXT), "description": "The species' scientific name."},
            "category": nullable(_ID),
            "uploader": nullable(_ID),
            "verified": {"type": "boolean"},
            "is_reference": {"type": "boolean"},
            "website": nullable(_TEXT),
            "date_uploaded": nullable(_WHEN),
            "updated_at": nullable(_WHEN),
            "file": {**_URL, "description": "Where the brain's file is downloaded."},
        }
    ),
    f"{PREFIX}Upload": _object(
        {
            "id": _ID,
            "name": nullable(_TEXT),
            "file": _URL,
            "date_uploaded": nullable(_WHEN),
            "uploader": nullable(_ID),
            "status": nullable(_TEXT),
            "file_size_mb": {"type": "number"},
        }
    ),
    f"{PREFIX}User": _object(
        {"id": _ID, "email": _TEXT, "first_name": nullable(_TEXT), "last_name": nullable(_TEXT)}
    ),
    f"{PREFIX}Login": _object({"token": _TEXT, "user": ref(f"{PREFIX}User")}),
}
for _name in ("Category", "Species", "Brain", "Upload"):
    SCHEMAS[f"{PREFIX}{_name}Page"] = _object(
        {
            "count": {"type": "integer", "minimum": 0},
            "next": _URL,
            "previous": _URL,
            "results": {"type": "array", "items": ref(f"{PREFIX}{_name}")},
        }
    )


def _list(entity: Entity, accepted: ListParams, record: str, max_page_size: int) -> Schema:
    filters = [
        query(name, dict(KIND_SCHEMAS[entity.field_spec(field).kind]), f"Only where {name} is it.")
        for name, (field, _) in accepted.filters.items()
    ]
    if accepted.searchable:
        text = (
            "Full-text search over names and descriptions: every word is a prefix, all words "
            "are required, case is ignored."
        )
        filters.append(query("search", {"type": "string"}, text))
    paging = [
        query("page", {"type": "integer", "minimum": 1, "default": 1}, "The page, from 1."),
        query(
            "page_size",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": max_page_size,
                "default": DEFAULT_PAGE_SIZE,
            },
            f"Records per page (at most {max_page_size}; more is a 400).",
        ),
    ]
    return {
        "description": "Any other query parameter is a 400.",
        "parameters": [*filters, *paging],
        "responses": {
            "200": json_content(ref(f"{PREFIX}{record}Page"), "A page."),
            **errors(PREFIX, (400, 401, 429)),
        },
    }


def _one(
    record: str, status: str = "200", *, failures: tuple[int, ...] = (401, 404, 429)
) -> Schema:
    answer = json_content(ref(f"{PREFIX}{record}"), f"The {record.lower()}.")
    return {status: answer, **errors(PREFIX, failures)}


def _form(fields: frozenset[str], parts: tuple[str, ...]) -> Schema:
    properties: dict[str, Schema] = {name: {"type": "string"} for name in sorted(fields)}
    properties.update({part: {"type": "string", "format": "binary"} for part in parts})
    text = f"Exactly one file, as {' or '.join(parts)}; any other field is a 400."
    schema = {"type": "object", "description": text, "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


_BRAIN_ID = path_parameter("brain_id", {"type": "integer"})
_CHANGES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {name: dict(_TYPES[kind]) for name, kind in routes.BRAIN_CHANGES.items()},
}
_CREDENTIALS = {
    "type": "object",
    "required": ["email", "password"],
    "properties": {"email": _TEXT, "password": _TEXT},
}


def _operations(max_page_size: int) -> dict[Any, Schema]:
    """What each handler of the route tables does."""
    uploads = _list(catalog.FILE_UPLOAD, routes.UPLOAD_PARAMS, "Upload", max_page_size)
    return {
        routes.list_categories: _list(catalog.CATEGORY, CATEGORY_PARAMS, "Category", max_page_size),
        routes.get_category: {"responses": _one("Category")},
        routes.list_species: _list(catalog.SPECIES, SPECIES_PARAMS, "Species", max_page_size),
        routes.get_species: {"responses": _one("Species")},
        routes.list_brains: _list(catalog.BRAIN, BRAIN_PARAMS, "Brain", max_page_size),
        routes.create_brain: {
            "description": "Upload a brain (multipart); its readable id is made from its name.",
            "security": SIGNED_IN,
            "requestBody": _form(routes.BRAIN_FIELDS, routes.FILE_PARTS),
            "responses": _one("Brain", "201", failures=(400, 401, 403, 409, 413, 429)),
        },
        routes.brain_by_readable_id: {
            "parameters": [query("readable_id", {"type": "string"}, "The brain's.", required=True)],
            "responses": _one("Brain", failures=(400, 401, 404, 429)),
        },
        routes.get_brain: {
            "parameters": [_BRAIN_ID],
            "responses": _one("Brain", failures=(400, 401, 404, 429)),
        },
        routes.update_brain: {
            "description": "Change a brain (its uploader or an admin; verified: reviewers).",
            "security": SIGNED_IN,
            "parameters": [_BRAIN_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _CHANGES}},
            },
            "responses": _one("Brain", failures=(400, 401, 403, 404, 429)),
        },
        routes.delete_brain: {
            "security": SIGNED_IN,
            "parameters": [_BRAIN_ID],
            "responses": {
                "204": {"description": "Deleted."},
                **errors(PREFIX, (400, 401, 403, 404, 429)),
            },
        },
        routes.list_uploads: {
            **uploads,
            "description": "The caller's own uploads.",
            "security": SIGNED_IN,
        },
        routes.create_upload: {
            "description": "Upload a file (multipart).",
            "security": SIGNED_IN,
            "requestBody": _form(routes.UPLOAD_FIELDS, routes.UPLOAD_PARTS),
            "responses": _one("Upload", "201", failures=(400, 401, 413, 429)),
        },
        auth.login: {
            "description": "Log in with an email and a password: a session token.",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _CREDENTIALS}},
            },
            "responses": _one("Login", failures=(400, 401, 429)),
        },
        auth.logout: {
            "description": "Revoke the token of this request.",
            "security": SIGNED_IN,
            "responses": {
                "200": json_content(
                    {"type": "object", "required": ["detail"], "properties": {"detail": _TEXT}},
                    "Logged out.",
                ),
                **errors(PREFIX, (401, 429)),
            },
        },
        auth.me: {
            "description": "The signed-in user.",
            "security": SIGNED_IN,
            "responses": _one("User", failures=(401, 429)),
        },
    }


def paths(max_page_size: int) -> dict[str, Schema]:
    return paths_of(routes.ROUTES, _operations(max_page_size), tag=TAG)


def components() -> dict[str, dict[str, Schema]]:
    texts = {
        status: BRAINMAPS_DETAILS.get(status, f"{title}; the detail says why.")
        for status, title in BRAINMAPS_TITLES.items()
    }
    responses = error_responses(PREFIX, ref(f"{PREFIX}Error"), texts)
    return {"schemas": SCHEMAS, "responses": responses}
