"""BrainCircuits' part of ``/api/openapi.json`` (seed 004): the segment-property endpoint,
documented from its route table, and its ``{"detail"}`` errors."""

from __future__ import annotations

from gateway.http.openapi import (
    Schema,
    error_responses,
    errors,
    header,
    json_content,
    path_parameter,
    paths_of,
    query,
    ref,
)
from gateway.rest.braincircuits import routes
from resolvers.connectome import PROPERTIES

TAG, PREFIX = "BrainCircuits", "Braincircuits"

ERROR: Schema = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
}
_SEGMENT_ID: Schema = {
    "anyOf": [{"type": "integer", "format": "int64"}, {"type": "string", "pattern": r"^\s*\d+\s*$"}]
}
SEGMENT_PROPERTY: Schema = {
    "description": "Properties of segments of a project's (dataset's) newest materialization, "
    "or of the one a version or a timestamp chooses (materialized_timestamp says which). "
    "Ids come back as strings; ids it does not have are listed, not dropped. A private "
    "project needs an access token (Authorization: Bearer), a CAVE-managed one an "
    "Authorization-Cave header too.",
    "parameters": [
        path_parameter("property", {"type": "string", "enum": list(PROPERTIES)}),
        query(
            "project", {"type": "string"}, "The dataset, e.g. fruitfly_fafb_flywire.", required=True
        ),
        query(
            "materialization_version",
            {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "A materialization version (CAVEclient's name; `version` is accepted too).",
        ),
        query(
            "version",
            {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "The same as materialization_version.",
        ),
        query(
            "timestamp",
            {"type": "string", "maxLength": 40},
            "UNIX seconds or ISO 8601 (UTC unless an offset is given): the newest "
            "materialization at or before it. Not together with a version.",
        ),
        header(
            "Authorization-Cave",
            {"type": "string"},
            "A CAVE token: required for a CAVE-managed project (its value is not checked: "
            "there is no CAVE server to ask), accepted for any other.",
        ),
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["segments"],
                    "properties": {
                        "segments": {"type": "array", "minItems": 1, "items": _SEGMENT_ID}
                    },
                }
            }
        },
    },
    "responses": {
        "200": json_content(
            {
                "type": "object",
                "required": ["materialized_timestamp", "results", "unknown_segments"],
                "properties": {
                    "materialized_timestamp": {"type": "integer", "description": "UNIX seconds."},
                    "results": {"type": "object", "description": "The property by segment id."},
                    "unknown_segments": {"type": "array", "items": {"type": "string"}},
                },
            },
            "The property of each known segment.",
        ),
        **errors(PREFIX, (400, 401, 404, 429)),
    },
}
ERROR_TEXTS = {
    400: "no project, or segments that are not a list of 64-bit ids.",
    401: "an invalid or expired token; a private project without a token; a CAVE-managed "
    "project without an Authorization-Cave header.",
    404: "an unknown property, a project the caller may not see or without a "
    "materialization, or no materialization of that version or at that time.",
    429: "too many requests; retry after Retry-After seconds.",
}


def paths() -> dict[str, Schema]:
    return paths_of(routes.ROUTES, {routes.segment_property: SEGMENT_PROPERTY}, tag=TAG)


def components() -> dict[str, dict[str, Schema]]:
    return {
        "schemas": {f"{PREFIX}Error": ERROR},
        "responses": error_responses(PREFIX, ref(f"{PREFIX}Error"), ERROR_TEXTS),
    }
