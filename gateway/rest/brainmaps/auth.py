"""BrainMaps' login endpoints (seed 000): email login, logout, the current user."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.tokens import TokenKind
from gateway.http.errors import json_response
from gateway.http.requests import context_of, json_body, require_user, required_strings
from gateway.rest.brainmaps import BrainMapsRoute
from resolvers import auth


def user_json(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


async def login(request: Request) -> Response:
    email, password = required_strings(await json_body(request), "email", "password")
    ctx = context_of(request)
    user = await auth.check_password(ctx, email, password)
    issued = await auth.issue_token(ctx, user.id, TokenKind.SESSION, name="BrainMaps login")
    return json_response({"token": issued.secret, "user": user_json(user)})


async def logout(request: Request) -> Response:
    require_user(request)
    await auth.logout(context_of(request))
    return json_response({"detail": "Logged out."})


async def me(request: Request) -> Response:
    principal = require_user(request)
    assert principal.user_id is not None
    return json_response(user_json(await auth.get_user(context_of(request), principal.user_id)))


ROUTES = [
    route
    for prefix in ("", "/v1")
    for route in (
        BrainMapsRoute(f"{prefix}/api/auth/login/", login, methods=["POST"]),
        BrainMapsRoute(f"{prefix}/api/auth/logout/", logout, methods=["POST"]),
        BrainMapsRoute(f"{prefix}/api/auth/me/", me, methods=["GET"]),
    )
]
