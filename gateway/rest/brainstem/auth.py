"""BrainSTEM's token endpoints (seed 001): JWT pairs, refresh, and the legacy /api/token/."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.tokens import TokenKind
from gateway.http.errors import json_response
from gateway.http.requests import context_of, json_body, required_strings
from gateway.rest.brainstem import BrainstemRoute
from resolvers import auth


async def token_pair(request: Request) -> Response:
    """``POST /api/auth/token/`` ``{"email", "password"}`` → an access + refresh pair."""
    email, password = required_strings(await json_body(request), "email", "password")
    ctx = context_of(request)
    user = await auth.check_password(ctx, email, password)
    pair = await auth.issue_token_pair(ctx, user.id)
    return json_response(
        {
            "access": pair.access,
            "refresh": pair.refresh,
            "token_type": "bearer",
            "expires_in": pair.expires_in,
        }
    )


async def refresh(request: Request) -> Response:
    """``POST /api/auth/token/refresh/`` ``{"refresh"}`` → a new pair; the old one is spent."""
    (token,) = required_strings(await json_body(request), "refresh")
    pair = await auth.refresh_token_pair(context_of(request), token)
    return json_response(
        {
            "access": pair.access,
            "refresh": pair.refresh,
            "token_type": "bearer",
            "expires_in": pair.expires_in,
        }
    )


async def legacy_token(request: Request) -> Response:
    """``POST /api/token/`` ``{"username", "password"}`` → a personal access token. Older
    clients read ``token``; the current docs show ``access``: both are sent."""
    username, password = required_strings(await json_body(request), "username", "password")
    ctx = context_of(request)
    user = await auth.check_password(ctx, username, password)
    issued = await auth.issue_token(ctx, user.id, TokenKind.PERSONAL, name="API token")
    return json_response(
        {
            "access": issued.secret,
            "token": issued.secret,
            "token_id": str(issued.id),
            "message": "Token created successfully",
        }
    )


ROUTES = [
    BrainstemRoute("/api/auth/token/", token_pair, methods=["POST"]),
    BrainstemRoute("/api/auth/token/refresh/", refresh, methods=["POST"]),
    BrainstemRoute("/api/token/", legacy_token, methods=["POST"]),
]
