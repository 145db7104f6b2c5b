"""BrainCircuits' segment properties (seed 004):
``POST /circuit/segment/property/{property}?project=…`` with ``{"segments": [...]}``.

Ids arrive as JSON numbers (exact: they are parsed as integers, never floats) or as strings,
and leave as strings, the result map's keys included. Ids the materialization does not have
are listed under ``unknown_segments`` rather than dropped. The ``Authorization-Cave`` header
that BrainCircuits scripts send for CAVE-managed projects is accepted and not needed.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import BadRequest, NotFound
from gateway.http.errors import json_response
from gateway.http.requests import context_of, json_body
from gateway.rest.braincircuits import BrainCircuitsRoute
from resolvers import connectome


def _segment_ids(body: dict[str, Any]) -> list[Any]:
    segments = body.get("segments")
    if not isinstance(segments, list) or not segments:
        raise BadRequest('Send {"segments": [<segment id>, ...]}.', field="segments")
    ids = []
    for value in segments:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        ids.append(value)  # anything else is refused by the domain's id check
    return ids


async def segment_property(request: Request) -> Response:
    name = request.path_params["property"]
    if name not in connectome.PROPERTIES:
        raise NotFound(
            f"Unknown segment property {name!r}. Known: {', '.join(connectome.PROPERTIES)}."
        )
    project = request.query_params.get("project")
    if not project:
        raise BadRequest("The project query parameter is required.", field="project")
    ids = _segment_ids(await json_body(request))
    answer = await connectome.segment_properties(context_of(request), project, ids, [name])
    return json_response(
        {
            "materialized_timestamp": answer.materialized_timestamp,
            "results": {str(key): values[name] for key, values in answer.results.items()},
            "unknown_segments": [str(key) for key in answer.unknown],
        }
    )


ROUTES = [
    BrainCircuitsRoute("/circuit/segment/property/{property}", segment_property, methods=["POST"]),
    BrainCircuitsRoute("/circuit/segment/property/{property}/", segment_property, methods=["POST"]),
]
