"""Device login (BrainSTEM's, modelled on RFC 8628): a client starts a request and polls; the
user signs in in a browser with the short user code and approves or denies it.

A request moves ``pending`` → ``approved`` | ``denied``, and ``approved`` → ``used`` when the
polling client collects its token. Every move is one conditional UPDATE, so two racing
reviews or two racing polls can't both win.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError

from gateway.auth.tokens import TokenKind, hash_secret
from gateway.db.models import DeviceLogin, table
from gateway.errors import BadRequest, Conflict, NeurogateError, NotFound
from resolvers import auth
from resolvers.context import Context

PENDING, APPROVED, DENIED, USED = "pending", "approved", "denied", "used"

# RFC 8628 §6.1's example alphabet: no vowels (no words) and no digits (no 0/O, 1/I mix-ups).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEFAULT_TOKEN_NAME = "Device login"
CLIENT_NAME_MAX = 200
# User codes are unique across every request ever made; a collision is rare but possible.
_USER_CODE_ATTEMPTS = 5

_logins = table(DeviceLogin)
_REVIEW_COLUMNS = [_logins.c.id, _logins.c.client_name, _logins.c.status, _logins.c.expires_at]


class DeviceGrantError(BadRequest):
    """A token-endpoint error of RFC 8628 §3.5; ``grant_error`` is its ``error`` code
    (``invalid_request``, ``invalid_grant``, ``expired_token``, ``access_denied``)."""

    def __init__(self, grant_error: str, message: str) -> None:
        super().__init__(message, grant_error=grant_error)
        self.grant_error = grant_error


@dataclass(frozen=True, slots=True)
class DeviceGrant:
    """A started request: the only time its device code exists in clear."""

    device_code: str
    user_code: str
    expires_in: int
    interval: int


@dataclass(frozen=True, slots=True)
class Review:
    """What the user decided, for the confirmation page."""

    approved: bool
    client_name: str


def normalize_user_code(raw: str) -> str | None:
    """``bcdfghjk``, ``BCDF GHJK`` or ``bcdf-ghjk`` → ``BCDF-GHJK``; ``None`` when it can't
    be a user code at all."""
    compact = "".join(raw.split()).replace("-", "").upper()
    if len(compact) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in compact):
        return None
    half = USER_CODE_LENGTH // 2
    return f"{compact[:half]}-{compact[half:]}"


def _new_user_code() -> str:
    compact = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    code = normalize_user_code(compact)
    assert code is not None
    return code


def _new_device_code() -> str:
    # Not a token kind of its own: it is never presented as a credential, only exchanged once.
    return "ngd_" + secrets.token_urlsafe(32)


def _clean_client_name(client_name: str) -> str:
    name = " ".join(client_name.split())
    if len(name) > CLIENT_NAME_MAX:
        raise BadRequest(
            f"Ensure this field has no more than {CLIENT_NAME_MAX} characters.",
            field="client_name",
        )
    return name


async def _insert_request(ctx: Context, name: str) -> DeviceGrant | None:
    """A new pending request; ``None`` when its random user code is already taken."""
    device_code, user_code = _new_device_code(), _new_user_code()
    lifetime = ctx.settings.device_code_seconds
    interval = ctx.settings.device_poll_interval
    now = ctx.now()
    async with ctx.sessionmaker() as session:
        session.add(
            DeviceLogin(
                device_code_hash=hash_secret(device_code),
                user_code=user_code,
                client_name=name,
                status=PENDING,
                interval=interval,
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
            )
        )
        try:
            await session.commit()
        except IntegrityError:
            return None
    return DeviceGrant(device_code, user_code, lifetime, interval)


async def start_device_login(ctx: Context, *, client_name: str) -> DeviceGrant:
    """Open a pending request; only the device code's hash is stored."""
    name = _clean_client_name(client_name)
    for _ in range(_USER_CODE_ATTEMPTS):
        grant = await _insert_request(ctx, name)
        if grant is not None:
            return grant
    raise Conflict("No free user code could be found; try again.")


def _is_expired(row: Any, now: datetime) -> bool:
    return bool(now >= row.expires_at)


async def _find_by_user_code(ctx: Context, user_code: str) -> Row[Any] | None:
    code = normalize_user_code(user_code)
    if code is None:
        return None
    async with ctx.sessionmaker() as session:
        query = select(*_REVIEW_COLUMNS)
        return (await session.execute(query.where(_logins.c.user_code == code))).first()


async def describe_pending(ctx: Context, *, user_code: str) -> str | None:
    """The client name of a pending, unexpired request, to show on the sign-in page."""
    row = await _find_by_user_code(ctx, user_code)
    if row is None or row.status != PENDING or _is_expired(row, ctx.now()):
        return None
    return str(row.client_name)


def _unreviewable(row: Row[Any] | None, now: datetime) -> NeurogateError:
    if row is None:
        return NotFound("That code is not valid. Check the code your application shows.")
    if row.status == PENDING and _is_expired(row, now):
        return DeviceGrantError(
            "expired_token", "That code has expired. Start the sign-in again in your application."
        )
    return DeviceGrantError("invalid_grant", "That code has already been used.")


async def review_device_login(
    ctx: Context, *, user_code: str, login: str, password: str, approve: bool
) -> Review:
    """Sign the user in with ``login`` and ``password`` and approve (or deny) the pending
    request of ``user_code`` on their behalf. Raises :class:`NotFound` for an unknown code,
    :class:`Unauthenticated` for wrong credentials and :class:`DeviceGrantError` for an
    expired or already reviewed request."""
    if normalize_user_code(user_code) is None:
        # Malformed: don't spend a password hash on it.
        raise _unreviewable(None, ctx.now())
    user = await auth.check_password(ctx, login, password)
    row = await _find_by_user_code(ctx, user_code)
    now = ctx.now()
    if row is None or row.status != PENDING or _is_expired(row, now):
        raise _unreviewable(row, now)
    async with ctx.sessionmaker() as session:
        reviewed = await session.execute(
            update(_logins)
            .where(
                _logins.c.id == row.id,
                _logins.c.status == PENDING,
                _logins.c.expires_at > now,
            )
            .values(status=APPROVED if approve else DENIED, user_id=user.id)
        )
        await session.commit()
    if reviewed.rowcount != 1:  # type: ignore[attr-defined]
        raise _unreviewable(await _find_by_user_code(ctx, user_code), now)
    return Review(approved=approve, client_name=str(row.client_name))


async def poll_device_login(ctx: Context, *, device_code: str) -> str | None:
    """The personal token of an approved request, exactly once; ``None`` while it is pending.
    Everything else is a :class:`DeviceGrantError`."""
    now = ctx.now()
    async with ctx.sessionmaker() as session:
        row = (
            await session.execute(
                select(
                    _logins.c.id,
                    _logins.c.status,
                    _logins.c.user_id,
                    _logins.c.client_name,
                    _logins.c.expires_at,
                ).where(_logins.c.device_code_hash == hash_secret(device_code))
            )
        ).first()
        if row is None or row.status == USED:
            raise DeviceGrantError("invalid_grant", "Unknown or already used device code.")
        if row.status == DENIED:
            raise DeviceGrantError("access_denied", "The user denied the request.")
        if _is_expired(row, now):
            raise DeviceGrantError("expired_token", "The device code has expired.")
        if row.status == PENDING:
            # No slow_down: BrainSTEM's client raises on any non-200 answer.
            return None
        claimed = await session.execute(
            update(_logins)
            .where(_logins.c.id == row.id, _logins.c.status == APPROVED)
            .values(status=USED)
        )
        await session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DeviceGrantError("invalid_grant", "Unknown or already used device code.")
    assert row.user_id is not None
    issued = await auth.issue_token(
        ctx, row.user_id, TokenKind.PERSONAL, name=row.client_name or DEFAULT_TOKEN_NAME
    )
    return issued.secret
