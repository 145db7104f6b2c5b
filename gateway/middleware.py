"""What every request goes through before its route, in one middleware (:class:`Front`): its id
and log line (where any failure nobody expected is answered and logged, once), a bound on its
body, authentication (any credential becomes one principal) and rate limits."""

from __future__ import annotations

import functools
import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import failures, request_facts
from gateway.auth.principal import ANONYMOUS, Principal
from gateway.errors import (
    NeurogateError,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from gateway.http.errors import INTERNAL_ERROR, ErrorFormat, error_response
from gateway.http.routing import FamilyRoute, destination, error_format
from gateway.metrics import Metrics
from resolvers.auth import authenticate
from resolvers.context import Context

# Where credentials are exchanged for tokens, a stale Authorization header must not get in the
# way of logging in again.
CREDENTIAL_EXCHANGE = (
    "/auth-token",
    "/api/auth/login",
    "/api/auth/token",
    "/api/token",
    "/api/auth/device",
    "/v1/api/auth/login",
)
# Prometheus presents NEUROGATE_METRICS_TOKEN there, not a user's credential.
METRICS_PATH = "/metrics"


def refusal(scope: Scope, error: NeurogateError) -> Response:
    """``error`` in the format of the route the refused request was going to."""
    return error_response(error_format(scope, destination(scope)), error)


# Alyx data URLs: ONE downloads them with HTTP basic credentials (its HTTP_DATA_SERVER_LOGIN),
# which the route checks itself.
BASIC_AUTH_PATH = "/data/"


def credential_from(headers: Headers, path: str = "") -> str | None:
    """The token of ``Authorization: Bearer <t>`` or ``Authorization: Token <t>``."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "basic" and path.startswith(BASIC_AUTH_PATH):
        return None
    if scheme.lower() not in {"bearer", "token"} or not token.strip():
        return ""  # present but malformed: refused like an invalid token
    return token.strip()


REQUEST_ID = "x-request-id"
_REQUEST_ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")
MAX_REQUEST_ID = 128
log = logging.getLogger("neurogate.requests")

# A URL no route serves is counted under this route, never under its own path: the paths
# clients invent must not each become a series.
UNROUTED = "unrouted"


def request_id_of(headers: Headers) -> str:
    """The caller's own ``X-Request-ID`` (up to 128 letters, digits and ``-_.:``, so it is safe
    to log and to send back), else a new one."""
    given = headers.get(REQUEST_ID, "")
    if 0 < len(given) <= MAX_REQUEST_ID and set(given) <= _REQUEST_ID_CHARS:
        return given
    return secrets.token_hex(16)


def surface_of(route: BaseRoute | None) -> str:
    """Which API a route belongs to: its REST family (the package its route class comes from),
    ``graphql``, ``pages``, or ``gateway`` for what belongs to none (health, metrics, files)."""
    if route is None:
        return UNROUTED
    graphql = isinstance(route, FamilyRoute) and route.errors is ErrorFormat.GRAPHQL
    return _surface(type(route).__module__, graphql)


@functools.cache  # a handful of route modules, read once each
def _surface(module_name: str, graphql: bool) -> str:
    module = module_name.split(".")
    if module[:2] == ["gateway", "rest"] and len(module) > 2:
        return module[2]
    if module[:2] == ["gateway", "pages"]:
        return "pages"
    return "graphql" if graphql else "gateway"


def route_of(scope: Scope) -> BaseRoute | None:
    """The route that answered, or for a request refused before routing (401, 413, 429), the
    one it was going to."""
    route: BaseRoute | None = scope.get("route")
    return route if route is not None else destination(scope)


# Operations endpoints are polled by load balancers and Prometheus: never rate limited.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", METRICS_PATH})
UPLOAD_CONTENT_TYPE = "multipart/form-data"

# A route's way of answering a request before the router (and everything else inside this
# middleware) is involved: None once answered, else the receive to route the request with
# (the body it read given again).
Express = Callable[[Scope, Receive, Send], Awaitable[Receive | None]]


class Front:
    """Every request's way in, in one pass, before its route.

    1. **Log.** Every request gets an id, answered in ``X-Request-ID`` (so a web app can match
       an answer to what it sent, or quote it in a report), one line in the log once answered
       and its metrics. The line's message says method, path, status, duration and id; its
       fields (the JSON formatter of ``neurogate serve`` writes them as one JSON object) add
       the principal's user id (never a credential), surface, route template and the SQL
       statements it ran. A client's error is that line and nothing more. An exception nobody
       expected is logged here and nowhere else, with its traceback, on that line: the one a
       route or the GraphQL schema answered and reported (:mod:`gateway.failures`), or one
       that reached this far, answered here as a 500 in the format of the route asked.
    2. **Body bound.** A body over ``max_bytes`` is refused with 413 before it is read: at
       once when its declared length says so, else as soon as the bytes received pass the
       limit (a chunked body; the route answers that). Uploads (multipart/form-data) are
       bounded by their own limit, where they are streamed to storage.
    3. **Principal.** Any credential becomes one principal (401 when it is not valid).
    4. **Rate limit.** Seed 000's limits: per user when authenticated, per client address
       otherwise, with ``X-RateLimit-*`` headers on every response and a 429 (with
       ``Retry-After``) once the window is used up. Counters live in the ``limits`` storage
       the app was built with (in memory; Redis when scaled out).

    Each refusal is in the error format of the route the request was going to. A route may
    also be given an :data:`Express` answer by path (the GraphQL view's compiled operations):
    tried first, it skips the router and the route's own middleware. A websocket is not a
    request: it is authenticated (closed with 4401 when refused) and counted as a subscription
    connection for as long as it is open.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, express: Mapping[str, Express] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.express = dict(express or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._request(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._connection(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        metrics: Metrics = scope["app"].state.metrics
        request_id = request_id_of(headers)
        added = [(b"x-request-id", request_id.encode())]
        started = time.perf_counter()
        status = 0

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        with failures.collecting() as failed, request_facts.observing(metrics) as facts:
            try:
                await self._admitted(scope, headers, receive, answer, added)
            except NeurogateError as error:  # refused; or the database is gone: no bug
                if not status:
                    await self._refuse(scope, receive, answer, error)
                elif not isinstance(error, Unavailable):
                    failed.append(error)  # the answer is under way: the connection is closed
            except Exception as exc:
                failed.append(exc)
                if not status:  # else the answer is under way: the server closes the connection
                    await refusal(scope, NeurogateError(INTERNAL_ERROR))(scope, receive, answer)
        elapsed = time.perf_counter() - started
        route = route_of(scope)
        surface, template = surface_of(route), getattr(route, "path", UNROUTED)
        method = scope["method"]
        metrics.count_request(surface, template, method, status, elapsed, facts.statements)
        level = logging.ERROR if failed or status >= 500 else logging.INFO
        if log.isEnabledFor(level):
            line = (method, scope["path"], status, elapsed * 1000, request_id)
            _log_line(line, level, scope, surface, template, facts, failed)

    async def _admitted(
        self,
        scope: Scope,
        headers: Headers,
        receive: Receive,
        send: Send,
        added: list[tuple[bytes, bytes]],
    ) -> None:
        """The request past its bound, principal and rate limit, to its route."""
        receive = self._bounded(headers, receive)
        principal = await _principal(scope, headers)
        scope.setdefault("state", {})["principal"] = principal
        if scope["path"] not in UNLIMITED_PATHS:
            await _rate_limited(scope, principal, added)
        express = self.express.get(scope["path"])
        if express is not None:
            routed = await express(scope, receive, send)
            if routed is None:
                return
            receive = routed
        await self.app(scope, receive, send)

    def _bounded(self, headers: Headers, receive: Receive) -> Receive:
        """``receive``, refusing a body over the limit."""
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type == UPLOAD_CONTENT_TYPE:
            return receive
        declared = headers.get("content-length", "")
        if declared.isdigit():
            # The server reads a body of a declared length and no more: only that is checked.
            if int(declared) > self.max_bytes:
                raise self._too_large()
            return receive
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()  # the route answers it in its format
            return message

        return counted_receive

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than the limit of {self.max_bytes} bytes."
        )

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: NeurogateError) -> None:
        response = refusal(scope, error)
        if isinstance(error, PayloadTooLarge):
            # The rest of the body is never read: the connection cannot carry another request.
            response.headers["connection"] = "close"
        await response(scope, receive, send)

    async def _connection(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            principal = await _principal(scope, Headers(scope=scope))
        except Unauthenticated:
            # Refused before the handshake completes: the client sees HTTP 403.
            await send({"type": "websocket.close", "code": 4401})
            return
        scope.setdefault("state", {})["principal"] = principal
        metrics: Metrics = scope["app"].state.metrics
        accepted = False

        async def counted_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                metrics.subscriptions.inc()
                metrics.subscriptions_opened.inc()
            await send(message)

        try:
            with request_facts.observing(metrics):
                await self.app(scope, receive, counted_send)
        finally:
            if accepted:
                metrics.subscriptions.dec()


async def _principal(scope: Scope, headers: Headers) -> Principal:
    """Who sent the request: anonymous without a credential; :class:`Unauthenticated` for a
    credential that is not valid."""
    path: str = scope["path"]
    credential = credential_from(headers, path)
    if credential is None or path.startswith(CREDENTIAL_EXCHANGE) or path == METRICS_PATH:
        return ANONYMOUS
    if not credential:
        raise Unauthenticated("Invalid token header.")
    state = scope["app"].state
    ctx = Context.build(state.settings, state.sessionmaker, clock=state.clock)
    return await authenticate(ctx, credential)


async def _rate_limited(
    scope: Scope, principal: Principal, added: list[tuple[bytes, bytes]]
) -> None:
    """Counts the request against its caller's window, adding the ``X-RateLimit-*`` headers
    to its answer; :class:`RateLimited` once the window is used up."""
    state = scope["app"].state
    if principal.is_authenticated:
        limit, key = state.rate_limits.authenticated, f"user:{principal.user_id}"
        caller = "user"
    else:
        client = scope.get("client")
        limit, key = state.rate_limits.anonymous, f"ip:{client[0] if client else '-'}"
        caller = "address"
    allowed, stats = await state.rate_limiter.count(limit, key)
    reset = int(stats.reset_time)
    added += [
        (b"x-ratelimit-limit", str(limit.amount).encode()),
        (b"x-ratelimit-remaining", str(stats.remaining).encode()),
        (b"x-ratelimit-reset", str(reset).encode()),
    ]
    if not allowed:
        state.metrics.rate_limited.labels(surface_of(destination(scope)), caller).inc()
        retry_after = max(1, reset - int(time.time()))
        raise RateLimited(
            f"Request was throttled. Expected available in {retry_after} seconds.",
            retry_after=retry_after,
        )


def _log_line(
    line: tuple[str, str, int, float, str],
    level: int,
    scope: Scope,
    surface: str,
    template: str,
    facts: request_facts.RequestFacts,
    failed: list[BaseException],
) -> None:
    """The request's one line: ``line`` (method, path, status, milliseconds, request id) as
    its message, and its fields."""
    method, path, status, milliseconds, request_id = line
    principal = scope.get("state", {}).get("principal", ANONYMOUS)
    extra = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(milliseconds, 1),
        "surface": surface,
        "route": template,
        "principal": principal.user_id,
        "statements": facts.statements,
        "operations": [f"{kind} {name or ''}".strip() for kind, name in facts.operations],
    }
    if not failed:
        log.log(level, "%s %s %d %.0fms [%s]", *line, extra=extra)
        return
    first, *others = failed
    log.error("%s %s %d %.0fms [%s] failed:", *line, exc_info=first, extra=extra)
    for other in others:  # GraphQL: another field failed in the same request
        log.error("[%s] failed again:", request_id, exc_info=other, extra=extra)


class AnyOriginCORS(CORSMiddleware):
    """Starlette's CORS for any origin without credentials (the gateway's: callers present
    tokens, never cookies), its headers on a simple answer appended as bytes made once.
    Starlette's own ``send`` edits them through ``MutableHeaders`` on every answer, about 5%
    of a cached lookup's CPU; an answer that already varies (a GraphQL GET) still goes
    through it, which merges the ``Vary`` values."""

    def __init__(
        self,
        app: ASGIApp,
        allow_methods: Sequence[str],
        allow_headers: Sequence[str],
        expose_headers: Sequence[str],
    ) -> None:
        super().__init__(
            app,
            allow_origins=["*"],
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
        )
        simple = [(k.lower().encode(), v.encode()) for k, v in self.simple_headers.items()]
        self._vary = [(b"vary", b"Origin")]
        self._with_origin = [*simple, *self._vary]

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] != "http.response.start":
            await send(message)
            return
        headers = message.get("headers", [])
        if any(name == b"vary" for name, _ in headers):
            await super().send(message, send, request_headers)
            return
        added = self._with_origin if "origin" in request_headers else self._vary
        message["headers"] = [*headers, *added]
        await send(message)
