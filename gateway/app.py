"""The application factory: composes the surfaces it is handed; creates nothing at import."""

from __future__ import annotations

import asyncio
import gc
import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from limits import RateLimitItem
from limits import parse as parse_limit
from sqlalchemy import event
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import WebSocketRoute

from gateway import metrics, readiness, request_facts
from gateway.auth.visibility import require_rules
from gateway.db.engine import create_engine, session_factory
from gateway.db.models._base import utcnow
from gateway.errors import Forbidden
from gateway.events import event_broker, listening
from gateway.graphql_view import GraphQLView
from gateway.http import files
from gateway.http.errors import DEFAULT, ErrorFormat, domain_error_of, error_response
from gateway.http.routing import FamilyRoute, error_format
from gateway.middleware import AnyOriginCORS, Front
from gateway.pages import assets as page_assets
from gateway.pages import routes as pages
from gateway.persisted import query_store
from gateway.rate_limiter import rate_limiter
from gateway.rest import openapi
from gateway.rest.alyx import routes as alyx
from gateway.rest.alyx.cache import CacheTables
from gateway.rest.braincircuits import routes as braincircuits
from gateway.rest.brainmaps import routes as brainmaps
from gateway.rest.brainstem import routes as brainstem
from gateway.safelist import load_safelist
from gateway.settings import Settings
from gateway.shared_state import open_shared_state
from gateway.staging import BufferBudget
from gateway.storage import Storage
from schema import schema_for

log = logging.getLogger("neurogate")

# Seed 000's CORS methods; every request header the gateway reads, so a web app on another
# origin can send it; every response header a web app may need to read.
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_REQUEST_HEADERS = [
    "Accept",
    "Authorization",
    "Authorization-Cave",  # BrainCircuits' CAVE token
    "Content-Type",
    "Apollo-Require-Preflight",  # one of the three marks a GraphQL multipart upload needs
    "X-Apollo-Operation-Name",
    "X-Neurogate-Preflight",
    "X-Neurogate-Portal",
    "X-Request-ID",
    "Range",  # downloads
    "If-Range",
    "If-None-Match",
]
RATE_LIMIT_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
CORS_EXPOSED_HEADERS = [
    *RATE_LIMIT_HEADERS,
    "Retry-After",
    "ETag",
    "Content-Range",
    "Content-Disposition",
    "Accept-Ranges",
    "X-Request-ID",
]


@dataclass(frozen=True)
class RateLimits:
    anonymous: RateLimitItem
    authenticated: RateLimitItem


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers, and Redis when configured; 503 naming what is not."""
    checks = await readiness.check(request.app.state.engine, request.app.state.shared)
    if all(state == readiness.OK for state in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)


async def metrics_page(request: Request) -> Response:
    """Prometheus' scrape: for those presenting NEUROGATE_METRICS_TOKEN, or without one set,
    for clients on this host."""
    token = request.app.state.settings.metrics_token
    if token is None:
        client = request.client
        if client is None or not _loopback(client.host):
            raise Forbidden("Metrics are served to this host only, or with the metrics token.")
    elif not hmac.compare_digest(
        request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
    ):
        raise Forbidden("Metrics need the metrics token: Authorization: Bearer <token>.")
    # In multiprocess mode this reads every worker's files: off the event loop.
    exposition = request.app.state.metrics.exposition
    body, media_type = await asyncio.to_thread(exposition, request.headers.get("accept", ""))
    return Response(body, headers={"content-type": media_type})


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def unrouted_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 for a URL no route serves (a route answers its own errors)."""
    assert isinstance(exc, HTTPException)
    errors = error_format(request.scope, request.scope.get("route"))
    return error_response(errors, domain_error_of(exc, request.method))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    # Fail closed: a table without a visibility rule stops the gateway here, not at a read.
    require_rules(SQLModel.metadata.tables.values())
    graphql = GraphQLView(
        schema_for(settings),
        settings=settings,
        # Read here, so a broken manifest stops the gateway at start-up, saying why.
        safelist=load_safelist(settings.safelist) if settings.safelist else None,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
    )
    counted = metrics.Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, echo=settings.sql_echo)
        event.listen(engine.sync_engine, "before_cursor_execute", request_facts.count_statement)
        resources = AsyncExitStack()
        # None without NEUROGATE_REDIS_URL; what several processes share takes it from here.
        shared = await resources.enter_async_context(open_shared_state(settings))
        app.state.shared = shared
        app.state.settings = settings
        app.state.engine = engine
        app.state.metrics = counted
        app.state.sessionmaker = session_factory(engine)
        app.state.clock = utcnow
        app.state.events = event_broker(shared)
        await resources.enter_async_context(listening(app.state.events))
        app.state.query_store = query_store(settings, shared)
        app.state.rate_limits = RateLimits(
            anonymous=parse_limit(settings.rate_limit_anonymous),
            authenticated=parse_limit(settings.rate_limit_authenticated),
        )
        app.state.rate_limiter = rate_limiter(shared)
        app.state.alyx_cache_tables = CacheTables()  # ONE's tables, per caller, per process
        budget = BufferBudget.of_bytes(settings.upload_buffer_bytes, counted.upload_buffers)
        counted.upload_buffer_limit.set(budget.limit_bytes)
        app.state.upload_buffers = budget
        if settings.graphiql_enabled and page_assets.missing():
            log.warning(
                "the browser pages' assets are not installed (%s): run `make install`",
                ", ".join(page_assets.missing()),
            )
        swept = await asyncio.to_thread(Storage.from_settings(settings).sweep_abandoned)
        if swept:
            log.info("deleted %d temporary files of abandoned uploads", swept)
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's full passes (they cost tens of ms on a large heap).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await resources.aclose()
            await engine.dispose()

    routes = [
        # The view answers its own errors in GraphQL's format; its failures go to Starlette.
        FamilyRoute(
            "/graphql",
            graphql,
            methods=["GET", "POST"],
            errors=ErrorFormat.GRAPHQL,
            answers_failures=False,
        ),
        WebSocketRoute("/graphql", graphql),
        FamilyRoute("/healthz", healthz, errors=DEFAULT),
        FamilyRoute("/readyz", readyz, errors=DEFAULT),
        FamilyRoute("/metrics", metrics_page, errors=DEFAULT),
        *pages.ROUTES,  # before Alyx's "/": browsers get the landing page, API clients its JSON
        # Each family's table, its routes carrying its error format.
        *brainstem.ROUTES,
        *brainmaps.ROUTES,
        *braincircuits.ROUTES,
        *files.ROUTES,
        *openapi.ROUTES,
        *alyx.ROUTES,  # last: its root "/" and /users/... shadow nothing above
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Outermost: every answer, errors and 429s included, carries the CORS headers.
            Middleware(
                AnyOriginCORS,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=CORS_EXPOSED_HEADERS,
            ),
            # The GraphQL view answers a query it knows compiled before the router.
            Middleware(
                Front, max_bytes=settings.max_body_bytes, express={"/graphql": graphql.express}
            ),
        ],
        # An exception nobody answered is answered (and logged) by Front.
        exception_handlers={HTTPException: unrouted_error},
    )
