"""The application factory: composes the surfaces it is handed; creates nothing at import."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.db.engine import create_engine, session_factory
from gateway.graphql_view import GraphQLView
from gateway.settings import Settings
from schema import build_schema


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    graphql = GraphQLView(
        build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, echo=settings.sql_echo)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = session_factory(engine)
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's full passes (they cost tens of ms on a large heap).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
