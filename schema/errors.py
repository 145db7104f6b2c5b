"""Typed results for expected failures, shared by every mutation."""

from __future__ import annotations

import strawberry

from gateway.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NeurogateError,
    NotFound,
    Unauthenticated,
)

# Every error's ``message``.
_MESSAGE = "What went wrong, for people to read."


@strawberry.type(description="Credentials were missing, wrong, expired or revoked.")
class AuthenticationError:
    message: str = strawberry.field(description=_MESSAGE)


@strawberry.type(description="Signed in, but not allowed to do this.")
class PermissionDeniedError:
    message: str = strawberry.field(description=_MESSAGE)


@strawberry.type(description="No such object, or not one you may see.")
class NotFoundError:
    message: str = strawberry.field(description=_MESSAGE)


@strawberry.type(description="The input was invalid; `field` names the offending input.")
class ValidationError:
    message: str = strawberry.field(description=_MESSAGE)
    field: str | None = strawberry.field(
        default=None, description="The input field it is about; null if about the whole input."
    )


@strawberry.type(description="The object changed underneath the request (e.g. already reviewed).")
class ConflictError:
    message: str = strawberry.field(description=_MESSAGE)


UserError = (
    AuthenticationError | PermissionDeniedError | NotFoundError | ValidationError | ConflictError
)


def error_result(error: NeurogateError) -> UserError:
    """The typed result of an expected domain error; anything else is not expected."""
    if isinstance(error, Unauthenticated):
        return AuthenticationError(message=error.message)
    if isinstance(error, Forbidden):
        return PermissionDeniedError(message=error.message)
    if isinstance(error, NotFound):
        return NotFoundError(message=error.message)
    if isinstance(error, BadRequest):
        return ValidationError(message=error.message, field=error.field)
    if isinstance(error, Conflict):
        return ConflictError(message=error.message)
    raise error


@strawberry.type(description="The request succeeded and has nothing else to say.")
class Done:
    ok: bool = strawberry.field(default=True, description="Always true.")
