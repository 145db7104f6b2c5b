"""Routes that carry the error format of the API they belong to, so that the format follows the
route, never a table of paths.

Every HTTP route the gateway serves is a :class:`FamilyRoute`. Whatever goes wrong while it
handles a request -- a domain error, one of Starlette's own refusals (a method the route does
not take, a form it cannot parse) or an exception nobody expected (a 500, reported to the
request's log, :mod:`gateway.failures`; the client sees no more than "Internal server error.")
-- is answered in its
family's format, by Starlette's exception middleware wrapped around the route alone: the same
mechanism that gives a mounted application its own handlers.

Authentication and rate limits run before routing (a 404 is limited too), so for their refusals
:func:`destination` finds the route the request is going to the way Starlette's router will
find it; the router never runs for a refused request, so the route is still resolved once. A URL
no route serves answers in the format of the route nearest to it (:func:`error_format`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from starlette.convertors import CONVERTOR_TYPES
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from gateway import failures
from gateway.errors import NeurogateError
from gateway.http.errors import (
    DEFAULT,
    INTERNAL_ERROR,
    ErrorFormat,
    domain_error_of,
    error_response,
)


class FamilyRoute(Route):
    """A route of one API family, answering its errors in the family's format: the one its
    family's subclass declares (``AlyxRoute``, ...) or, for a route no family owns, the one
    it is given.

    ``answers_failures=False`` leaves an unexpected exception to the request log
    (:class:`~gateway.middleware.Front`), which answers 500 unless the answer is under way, and
    logs it: for an endpoint that is an ASGI application answering its own errors, such as the
    GraphQL view.
    """

    errors: ErrorFormat

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        errors: ErrorFormat | None = None,
        answers_failures: bool = True,
    ) -> None:
        super().__init__(path, endpoint, methods=methods, name=name)
        if errors is not None:
            self.errors = errors
        if not hasattr(self, "errors"):
            raise TypeError(f"route {path} has no error format")  # never a silent default
        handlers: dict[Any, Any] = {
            NeurogateError: self._domain_error,
            HTTPException: self._http_error,
        }
        if answers_failures:
            handlers[Exception] = self._failure
        # Around Route.handle, not only the endpoint: a 405 is the route's answer too.
        self._guarded = ExceptionMiddleware(super().handle, handlers=handlers)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._guarded(scope, receive, send)

    async def _domain_error(self, _: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeurogateError)
        return error_response(self.errors, exc)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(self.errors, domain_error_of(exc, request.method))

    async def _failure(self, request: Request, exc: Exception) -> Response:
        failures.report(exc)
        return error_response(self.errors, NeurogateError(INTERNAL_ERROR))


def error_format(scope: Scope, route: BaseRoute | None) -> ErrorFormat:
    """The format a request handed to ``route`` answers errors in. For a URL no route serves,
    it is the format of the route nearest to it in the tree of URLs: the one sharing the most
    leading segments with it, a parameter sharing any segment its convertor takes
    (``/sessions/<id>/notes`` as ``/sessions/{id}``, ``/v1/nothing/`` as BrainMaps'
    ``/v1/brains/``), the first in routing order among equals. A URL sharing
    no segment with any route (the root route, ``/``, shares none) answers in
    :data:`~.errors.DEFAULT`."""
    if route is None:
        route = _nearest_route(scope)
    return route.errors if isinstance(route, FamilyRoute) else DEFAULT


def destination(scope: Scope) -> BaseRoute | None:
    """The route Starlette's router will hand ``scope`` to: the first that matches, else the
    first that matches all but the method (it answers 405), else the one its trailing-slash
    redirect leads to; ``None`` when it will answer 404."""
    routes: list[BaseRoute] = scope["app"].routes
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    if partial is not None or scope["type"] != "http" or scope["path"] == "/":
        return partial
    path: str = scope["path"]
    return _served(scope, path.rstrip("/") if path.endswith("/") else f"{path}/")


def _nearest_route(scope: Scope) -> BaseRoute | None:
    segments = [segment for segment in scope["path"].split("/") if segment]
    nearest, depth = None, 0
    for route in scope["app"].routes:
        shared = _shared_segments(getattr(route, "path", ""), segments)
        if shared > depth:
            nearest, depth = route, shared
    return nearest


def _shared_segments(route_path: str, segments: list[str]) -> int:
    """How many leading segments a route's path shares with a URL's, a parameter sharing any
    its convertor takes (``{name}`` any, ``{id:int}`` digits)."""
    shared = 0
    for part, segment in zip((p for p in route_path.split("/") if p), segments, strict=False):
        if not _shares(part, segment):
            break
        shared += 1
    return shared


def _shares(part: str, segment: str) -> bool:
    if not part.startswith("{"):
        return part == segment
    convertor = CONVERTOR_TYPES[part.strip("{}").partition(":")[2] or "str"]
    return re.fullmatch(convertor.regex, segment) is not None


def _served(scope: Scope, path: str) -> BaseRoute | None:
    """The first route that serves ``path``, whatever the method."""
    probe = {**scope, "path": path}
    routes: list[BaseRoute] = scope["app"].routes
    return next((r for r in routes if r.matches(probe)[0] is not Match.NONE), None)
