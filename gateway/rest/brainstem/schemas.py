"""BrainSTEM's "Schemas" technical documentation, served: the JSON Schema each structured
``details`` payload must satisfy, so a client can validate before it sends
(``/api/schemas/``: every group and its types; ``/api/schemas/{group}/{type}/``: one schema).
The schemas are the ones writes are checked against (:mod:`resolvers.details`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import NotFound
from gateway.http.errors import json_response
from gateway.rest.brainstem import BrainstemRoute
from resolvers import details


async def list_schemas(request: Request) -> Response:
    base = str(request.url_for("brainstem_schemas"))
    return json_response(
        {
            "schemas": {
                group: {kind: f"{base}{group}/{kind}/" for kind in sorted(kinds)}
                for group, kinds in details.groups().items()
            }
        }
    )


async def one_schema(request: Request) -> Response:
    group, kind = request.path_params["group"], request.path_params["kind"]
    schema = details.schema_of(group, kind)
    if schema is None:
        raise NotFound(f"No schema '{kind}' in '{group}'.")
    return json_response(schema, headers={"Content-Type": "application/schema+json"})


ROUTES = [
    BrainstemRoute("/api/schemas/", list_schemas, methods=["GET"], name="brainstem_schemas"),
    BrainstemRoute("/api/schemas/{group}/{kind}/", one_schema, methods=["GET"]),
]
