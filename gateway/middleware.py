"""Authentication for every surface: one middleware turns any credential into one principal."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.principal import ANONYMOUS
from gateway.errors import Unauthenticated
from gateway.rest.errors import error_response, family_of
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


def credential_from(headers: Headers) -> str | None:
    """The token of ``Authorization: Bearer <t>`` or ``Authorization: Token <t>``."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not token.strip():
        return ""  # present but malformed: refused like an invalid token
    return token.strip()


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        principal = ANONYMOUS
        path: str = scope["path"]
        credential = credential_from(Headers(scope=scope))
        if credential is not None and not path.startswith(CREDENTIAL_EXCHANGE):
            state = scope["app"].state
            ctx = Context.build(state.settings, state.sessionmaker, clock=state.clock)
            try:
                if not credential:
                    raise Unauthenticated("Invalid token header.")
                principal = await authenticate(ctx, credential)
            except Unauthenticated as error:
                if scope["type"] == "websocket":
                    # Refused before the handshake completes: the client sees HTTP 403.
                    await send({"type": "websocket.close", "code": 4401})
                    return
                response = error_response(family_of(path), error)
                await response(scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
