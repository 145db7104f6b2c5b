"""Alyx's ``POST /auth-token`` (seed 003): form-encoded username/password → ``{"token"}``,
the same token on every login while it is valid, as Alyx answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import BadRequest, Unauthenticated
from gateway.http.errors import json_response
from gateway.http.requests import context_of, form_or_json
from gateway.rest.alyx import AlyxRoute
from resolvers import auth


async def auth_token(request: Request) -> Response:
    body = await form_or_json(request)
    username, password = body.get("username"), body.get("password")
    if not username or not password:
        missing = "username" if not username else "password"
        raise BadRequest("This field is required.", field=missing)
    ctx = context_of(request)
    try:
        user = await auth.check_password(ctx, str(username), str(password))
    except Unauthenticated:
        # Alyx (Django REST framework) answers bad credentials with 400, not 401.
        return json_response({"non_field_errors": [auth.BAD_CREDENTIALS]}, 400)
    # ONE asserts that this body has exactly one key.
    return json_response({"token": await auth.alyx_token(ctx, user.id)})


ROUTES = [AlyxRoute(path, auth_token, methods=["POST"]) for path in ("/auth-token", "/auth-token/")]
