"""Which API family a URL belongs to, and each family's error body for a domain error."""

from __future__ import annotations

from enum import Enum

import orjson
from starlette.responses import Response

from gateway.errors import NeurogateError, Unauthenticated


class Family(Enum):
    GRAPHQL = "graphql"
    BRAINSTEM = "brainstem"
    BRAINMAPS = "brainmaps"
    ALYX = "alyx"
    BRAINCIRCUITS = "braincircuits"


ALYX_ENDPOINTS = frozenset(
    {"auth-token", "subjects", "sessions", "datasets", "users", "labs", "projects", "docs"}
)
BRAINMAPS_ENDPOINTS = frozenset({"categories", "species", "brains", "file-uploads"})
BRAINMAPS_AUTH = frozenset({"login", "logout", "me"})

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
}
BRAINMAPS_DETAILS = {
    401: "Please log in to access this resource",
    403: "You don't have permission to perform this action",
    404: "The requested resource does not exist",
}


def family_of(path: str) -> Family:
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "v1":
        return Family.BRAINMAPS
    if not parts:
        return Family.ALYX  # the Alyx root endpoint lists the endpoint categories
    if parts[0] == "graphql":
        return Family.GRAPHQL
    if parts[0] == "circuit":
        return Family.BRAINCIRCUITS
    if parts[0] in ALYX_ENDPOINTS or parts[:2] == ["api", "schema"]:
        return Family.ALYX
    if len(parts) >= 2 and parts[0] == "api":
        if parts[1] in BRAINMAPS_ENDPOINTS:
            return Family.BRAINMAPS
        if parts[1] == "auth" and len(parts) >= 3 and parts[2] in BRAINMAPS_AUTH:
            return Family.BRAINMAPS
    return Family.BRAINSTEM


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def error_response(family: Family, error: NeurogateError) -> Response:
    """The body, status and headers a family's clients expect for ``error``."""
    status = error.status
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Token" if family is Family.ALYX else "Bearer"
    retry_after = error.details.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body: object
    if error.field and family in (Family.BRAINSTEM, Family.ALYX):
        body = {error.field: [error.message]}  # Django REST framework's field errors
    elif family is Family.GRAPHQL:
        body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    elif family is Family.BRAINMAPS:
        body = {
            "error": BRAINMAPS_TITLES.get(status, "Error"),
            "detail": BRAINMAPS_DETAILS.get(status, error.message),
        }
    elif family is Family.ALYX:
        # ONE re-authenticates only on a 403 whose body says "Invalid token.".
        if isinstance(error, Unauthenticated):
            status = 403
        body = {"detail": error.message, "status_code": status}
    else:
        body = {"detail": error.message}
    return json_response(body, status, headers)
