"""The HTML pages: a landing page for browsers at ``/``, the REST docs at ``/api/docs/``, and
GraphiQL's page (rendered by the GraphQL view)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from gateway.accept import quality
from gateway.http.errors import DEFAULT
from gateway.http.routing import FamilyRoute
from gateway.pages import assets

HERE = Path(__file__).parent


@cache
def page(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def graphiql_page() -> str:
    return page("graphiql.html")


def prefers_html(accept: str) -> bool:
    """Whether a request names HTML and likes it at least as much as JSON: what a browser
    navigating sends (``*/*`` alone, as API clients send, is not a browser)."""
    html = quality(accept, "text/html")
    return html > 0 and html >= quality(accept, "application/json")


class PageRoute(FamilyRoute):
    """A page of no API family: its errors answer in the default format."""

    errors = DEFAULT


class BrowserRoute(PageRoute):
    """A route only browsers take: any other request falls through to the next route of the
    same path (``/`` is Alyx's JSON root for API clients)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not prefers_html(Headers(scope=scope).get("accept", "")):
            return Match.NONE, {}
        return super().matches(scope)


async def landing(_: Request) -> Response:
    return HTMLResponse(page("landing.html"))


async def docs(_: Request) -> Response:
    return HTMLResponse(page("docs.html"))


async def docs_with_slash(_: Request) -> Response:
    return RedirectResponse("/api/docs/", status_code=308)


ROUTES: list[BaseRoute] = [
    BrowserRoute("/", landing, methods=["GET"]),
    PageRoute("/api/docs/", docs, methods=["GET"]),
    PageRoute("/api/docs", docs_with_slash, methods=["GET"]),
    *assets.ROUTES,
]
