"""The one domain exception tree. Every surface renders it once, in its own format.

NeurogateError
├── BadRequest            400  malformed or invalid input
│   └── QueryError        400  a filter, ordering or page the model does not allow
├── Unauthenticated       401  missing or invalid credentials
├── Forbidden             403  authenticated, but not allowed
├── NotFound              404  missing, or not visible to the caller (the same answer)
├── Conflict              409  the state changed underneath the request
├── PayloadTooLarge       413
├── RateLimited           429
├── Unavailable           503  the database cannot be reached (for now)
└── InsufficientStorage   507  the storage has no room for an upload
"""

from __future__ import annotations

from typing import Any, ClassVar


class NeurogateError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class BadRequest(NeurogateError):
    status = 400
    code = "BAD_USER_INPUT"


class QueryError(BadRequest):
    """A filter, ordering, search or page window the model does not allow."""


class Unauthenticated(NeurogateError):
    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(NeurogateError):
    status = 403
    code = "FORBIDDEN"


class NotFound(NeurogateError):
    status = 404
    code = "NOT_FOUND"


class MethodNotAllowed(NeurogateError):
    status = 405
    code = "METHOD_NOT_ALLOWED"


class Conflict(NeurogateError):
    status = 409
    code = "CONFLICT"


class PayloadTooLarge(NeurogateError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(NeurogateError):
    status = 429
    code = "RATE_LIMITED"


class Unavailable(NeurogateError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


class InsufficientStorage(NeurogateError):
    status = 507
    code = "INSUFFICIENT_STORAGE"
