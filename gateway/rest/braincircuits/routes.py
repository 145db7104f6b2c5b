"""BrainCircuits' segment properties (seed 004):
``POST /circuit/segment/property/{property}?project=…`` with ``{"segments": [...]}``.

Ids arrive as JSON numbers (exact: they are parsed as integers, never floats) or as strings,
and leave as strings, the result map's keys included. Ids the materialization does not have
are listed under ``unknown_segments`` rather than dropped.

``materialization_version`` (or ``version``) or ``timestamp`` (UNIX seconds, or ISO 8601)
choose the materialization, as CAVEclient users choose one; ``materialized_timestamp`` says
which answered. A private project asked without a valid token is a 401; the
``Authorization-Cave`` header BrainCircuits scripts send is accepted everywhere and required
for a CAVE-managed project (its value is not checked: there is no CAVE server to ask).
"""

from __future__ import annotations

from datetime import UTC, datetime
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


MAX_VERSION = 2**31 - 1
MAX_TIMESTAMP_LENGTH = 40
# UNIX seconds from 1970 to 9999, what datetime can hold.
MAX_UNIX_SECONDS = 253_402_300_799


def _version(request: Request) -> int | None:
    given = request.query_params
    names = [name for name in ("materialization_version", "version") if name in given]
    if not names:
        return None
    if len(names) > 1:
        raise BadRequest("Give materialization_version or version, not both.", field=names[1])
    text = given[names[0]].strip()
    if not text.isdigit() or len(text) > 10 or int(text) > MAX_VERSION:
        raise BadRequest(f"{names[0]} must be a materialization number.", field=names[0])
    return int(text)


def _timestamp(request: Request) -> datetime | None:
    text = request.query_params.get("timestamp")
    if text is None:
        return None
    text = text.strip()
    message = "timestamp must be UNIX seconds or an ISO 8601 date and time."
    if not text or len(text) > MAX_TIMESTAMP_LENGTH:
        raise BadRequest(message, field="timestamp")
    try:
        seconds = float(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(message, field="timestamp") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not 0 <= seconds <= MAX_UNIX_SECONDS:  # NaN fails this too
        raise BadRequest(message, field="timestamp")
    return datetime.fromtimestamp(seconds, UTC)


async def segment_property(request: Request) -> Response:
    name = request.path_params["property"]
    if name not in connectome.PROPERTIES:
        raise NotFound(
            f"Unknown segment property {name!r}. Known: {', '.join(connectome.PROPERTIES)}."
        )
    project = request.query_params.get("project")
    if not project:
        raise BadRequest("The project query parameter is required.", field="project")
    version, timestamp = _version(request), _timestamp(request)
    ids = _segment_ids(await json_body(request))
    answer = await connectome.segment_properties(
        context_of(request),
        project,
        ids,
        [name],
        version=version,
        timestamp=timestamp,
        cave_token=request.headers.get("authorization-cave"),
    )
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
