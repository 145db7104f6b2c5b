"""The browser pages' third-party assets, served from ``gateway/pages/node_modules``.

``make install`` fills that folder with ``npm ci`` from the pinned ``package-lock.json`` beside
this module; nothing is fetched while serving. Only the files named here are served, never the
folder as a whole."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from gateway.errors import NotFound
from gateway.http.errors import DEFAULT
from gateway.http.routing import FamilyRoute

NODE_MODULES = Path(__file__).parent / "node_modules"
PREFIX = "/static/"

# Served name -> file inside node_modules.
FILES = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "graphiql-plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
    "graphiql-plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The files' names do not change with their versions: browsers revalidate (ETag) after a day.
CACHE_CONTROL = "public, max-age=86400"


def missing() -> list[str]:
    """The files ``make install`` should have brought and did not (empty when all are there)."""
    return sorted(name for name, path in FILES.items() if not (NODE_MODULES / path).is_file())


async def serve(request: Request) -> Response:
    name = request.path_params["name"]
    path = NODE_MODULES / FILES[name] if name in FILES else None
    if path is None or not path.is_file():
        raise NotFound("Not found.")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": CACHE_CONTROL}
    )


ROUTES: list[BaseRoute] = [FamilyRoute(PREFIX + "{name}", serve, methods=["GET"], errors=DEFAULT)]
