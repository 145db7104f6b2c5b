"""What every REST family shares: the request's context and body parsing."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.auth.principal import ANONYMOUS, Principal
from gateway.errors import BadRequest, Unauthenticated
from resolvers.context import Context


def principal_of(request: Request) -> Principal:
    return getattr(request.state, "principal", ANONYMOUS)  # type: ignore[no-any-return]


def context_of(request: Request, principal: Principal | None = None) -> Context:
    state = request.app.state
    return Context.build(
        state.settings,
        state.sessionmaker,
        principal or principal_of(request),
        state.clock,
        state.events,
    )


def require_user(request: Request) -> Principal:
    principal = principal_of(request)
    if not principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    return principal


async def json_body(request: Request, *, required: bool = False) -> dict[str, Any]:
    """The request's JSON object; a clear 400 for anything else. No body at all reads as
    ``{}`` (each missing field is then named), or is a 400 where the body is ``required``."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest("A JSON object is required as the request body.")
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


async def form_or_json(request: Request) -> dict[str, Any]:
    """Form fields (urlencoded or multipart) or a JSON object, whichever was sent."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    return await json_body(request)


def required_strings(body: dict[str, Any], *names: str) -> list[str]:
    """The named fields as non-empty strings; a 400 naming the first missing one."""
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise BadRequest("This field is required.", field=name)
        values.append(value)
    return values
