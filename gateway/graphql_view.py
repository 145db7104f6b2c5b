"""The GraphQL endpoint: Strawberry's ASGI view with our context and orjson responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.auth.principal import ANONYMOUS
from resolvers.context import Context


class GraphQLView(GraphQL[Context, None]):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal = getattr(request.state, "principal", ANONYMOUS)
        return Context.build(state.settings, state.sessionmaker, principal)
