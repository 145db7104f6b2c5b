"""What every REST family shares: the request's context and body parsing."""

from __future__ import annotations

import json
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


_TWO_TO_63 = float(2**63)


def decode_json(raw: bytes | str, *, max_depth: int) -> Any:
    """JSON text as Python values; a 400 for malformed JSON, and for arrays and objects
    nested more than ``max_depth`` deep: whatever walks the value next (GraphQL's coercion
    of variables, a filter) recurses, and must never meet a nesting the stack cannot hold.
    Integers are exact, however large (the checks of what takes them refuse those too big)."""
    too_deep = BadRequest(f"JSON nested more than {max_depth} levels deep is refused.")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):  # orjson's own bound, 1024
            raise too_deep from None
        raise BadRequest(f"Malformed JSON: {exc}") from exc
    nests_deeper, past_64_bits = _walk(value, max_depth)
    if nests_deeper:
        raise too_deep
    if past_64_bits:
        # orjson reads an integer past 64 bits as a float: read the text again, exactly
        # (its nesting is bounded above, so the standard decoder cannot recurse too deep).
        value = json.loads(raw)
    return value


def _walk(value: Any, max_depth: int) -> tuple[bool, bool]:
    """Whether ``value`` nests deeper than ``max_depth``, and whether it holds a float as
    large as a 64-bit integer (where orjson may have read an integer inexactly)."""
    if isinstance(value, float):
        return False, abs(value) >= _TWO_TO_63
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    large = False
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True, large
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif isinstance(child, float) and abs(child) >= _TWO_TO_63:
                large = True
    return False, large


async def json_body(request: Request, *, required: bool = False) -> dict[str, Any]:
    """The request's JSON object; a clear 400 for anything else. No body at all reads as
    ``{}`` (each missing field is then named), or is a 400 where the body is ``required``."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest("A JSON object is required as the request body.")
        return {}
    body = decode_json(raw, max_depth=request.app.state.settings.max_json_depth)
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
