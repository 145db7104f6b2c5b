"""Each surface's error body for a domain error, and the JSON responses every surface sends.

A route carries the :class:`ErrorFormat` of the API it belongs to (:mod:`.routing`); nothing
here looks at a URL.
"""

from __future__ import annotations

from enum import Enum

import orjson
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.errors import BadRequest, MethodNotAllowed, NeurogateError, NotFound, Unauthenticated


class ErrorFormat(Enum):
    """How one API's clients expect to be told what went wrong."""

    DRF = "drf"  # Django REST framework's, as BrainSTEM answers: {"detail"} or {field: [msg]}
    ALYX = "alyx"  # Django REST framework's too, with "status_code", and 403 for a bad token
    BRAINMAPS = "brainmaps"  # seed 000's {"error": <title>, "detail"}
    BRAINCIRCUITS = "braincircuits"  # {"detail"}, a field's error included
    GRAPHQL = "graphql"  # {"errors": [{"message", "extensions": {"code"}}]}
    OAUTH = "oauth"  # a token endpoint's, RFC 6749 section 5.2: {"error", "error_description"}


# A URL no route serves answers in this format (``{"detail": "Not found."}``): the one of
# BrainSTEM, whose paths cover most of /api/, and of the shared routes.
DEFAULT = ErrorFormat.DRF

# Seed 000's error titles, and its detail texts where the seed gives them.
BRAINMAPS_TITLES = {
    400: "Invalid request parameters",
    401: "Authentication required",
    403: "Permission denied",
    404: "Resource not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    429: "Rate limit exceeded",
    503: "Service unavailable",
    507: "Insufficient storage",
}
# An OAuth error code for an error that names none (a grant error names its own).
OAUTH_CODES = {429: "slow_down", 500: "server_error"}
BRAINMAPS_DETAILS = {
    401: "Please log in to access this resource",
    403: "You don't have permission to perform this action",
    404: "The requested resource does not exist",
}


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def error_response(errors: ErrorFormat, error: NeurogateError) -> Response:
    """The body, status and headers clients of an API answering in ``errors`` expect."""
    status = error.status
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Token" if errors is ErrorFormat.ALYX else "Bearer"
    retry_after = error.details.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body: object
    if error.field and errors is ErrorFormat.DRF:
        body = {error.field: [error.message]}  # Django REST framework's field errors
    elif error.field and errors is ErrorFormat.ALYX:
        # Alyx's exception handler adds the status to every error body, field errors too.
        body = {error.field: [error.message], "status_code": status}
    elif errors is ErrorFormat.OAUTH:
        code = error.details.get("grant_error") or OAUTH_CODES.get(status, "invalid_request")
        body = {"error": code, "error_description": error.message}
        headers["Cache-Control"] = "no-store"  # RFC 6749: no token endpoint answer is cached
    elif errors is ErrorFormat.GRAPHQL:
        body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    elif errors is ErrorFormat.BRAINMAPS:
        body = {
            "error": BRAINMAPS_TITLES.get(status, "Error"),
            "detail": BRAINMAPS_DETAILS.get(status, error.message),
        }
    elif errors is ErrorFormat.ALYX:
        # ONE re-authenticates only on a 403 whose body says "Invalid token.".
        if isinstance(error, Unauthenticated):
            status = 403
        body = {"detail": error.message, "status_code": status}
    else:
        body = {"detail": error.message}
    return json_response(body, status, headers)


def domain_error_of(exc: HTTPException, method: str) -> NeurogateError:
    """Starlette's own refusals (no route, a method the route does not take, a form it cannot
    parse) as the domain errors every surface already knows how to render."""
    if exc.status_code == 404:
        return NotFound("Not found.")
    if exc.status_code == 405:
        return MethodNotAllowed(f'Method "{method}" not allowed.')
    return BadRequest(str(exc.detail))


# What a client sees of an exception nobody expected: never its text or traceback.
INTERNAL_ERROR = "Internal server error."
