"""Identity: checking passwords, issuing, authenticating, refreshing and revoking tokens.

Every surface's credentials end here: one :func:`authenticate` turns any token type into the
one :class:`Principal`.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, func, or_, select, update

from gateway.auth.passwords import hash_password, verify_password
from gateway.auth.principal import Portal, Principal
from gateway.auth.tokens import (
    INVALID_TOKEN,
    TokenKind,
    decode_jwt,
    derived_secret,
    display_prefix,
    encode_jwt,
    hash_secret,
    looks_like_jwt,
    new_secret,
)
from gateway.auth.visibility import readable_columns
from gateway.db.engine import read_connection
from gateway.db.models import Token, User, table
from gateway.errors import NotFound, Unauthenticated
from gateway.events import Event
from resolvers.context import Context

BAD_CREDENTIALS = "Unable to log in with provided credentials."
REFRESH_REUSED = "Refresh token already used; every token of this login is now revoked."
# Renewing a sliding token's expiry on every request would write on every request.
SLIDING_RENEWAL = timedelta(hours=1)
# Published when credentials are revoked, to every process: their open websockets of the user
# re-check at once rather than at their next periodic check (gateway/credential_watch.py).
CREDENTIALS_TOPIC = "credentials"
# Verified when no user matches, so a missing account costs the same time as a wrong password.
_DUMMY_HASH = hash_password("neurogate-timing-equaliser")

_tokens = table(Token)
_users = table(User)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A newly issued credential: the only time its secret exists in clear."""

    secret: str
    id: uuid.UUID
    kind: TokenKind
    name: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def _lifetime(ctx: Context, kind: TokenKind) -> timedelta:
    s = ctx.settings
    seconds = {
        TokenKind.PERSONAL: s.personal_token_seconds,
        TokenKind.ACCESS: s.access_token_seconds,
        TokenKind.REFRESH: s.refresh_token_seconds,
        TokenKind.SESSION: s.session_token_seconds,
        TokenKind.ALYX: s.alyx_token_seconds,
    }[kind]
    return timedelta(seconds=seconds)


async def check_password(ctx: Context, login: str, password: str) -> Row[Any]:
    """The active user whose email or username is ``login`` and whose password matches."""
    login = login.strip()
    async with ctx.sessionmaker() as session:
        user = (
            await session.execute(
                select(_users).where(
                    or_(func.lower(_users.c.email) == login.lower(), _users.c.username == login),
                    _users.c.is_active.is_(True),
                )
            )
        ).first()
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)  # the same cost whether or not the account exists
        raise Unauthenticated(BAD_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise Unauthenticated(BAD_CREDENTIALS)
    return user


async def password_principal(ctx: Context, login: str, password: str) -> Principal:
    """The caller who presents a login and password with the request itself (HTTP basic, as
    ONE's data downloads answer a challenge), in the private view as with a token."""
    user = await check_password(ctx, login, password)
    return Principal(
        user_id=user.id, is_admin=user.is_admin, is_reviewer=user.is_reviewer, portal=Portal.PRIVATE
    )


async def issue_token(
    ctx: Context, user_id: int, kind: TokenKind, *, name: str = ""
) -> IssuedToken:
    """Issue an opaque token (personal, session or Alyx) and store its hash."""
    secret = new_secret(kind)
    now = ctx.now()
    token = Token(
        user_id=user_id,
        kind=kind.value,
        name=name,
        secret_hash=hash_secret(secret),
        prefix=display_prefix(secret),
        created_at=now,
        expires_at=now + _lifetime(ctx, kind),
    )
    async with ctx.sessionmaker() as session:
        session.add(token)
        await session.commit()
    return IssuedToken(secret, token.id, kind, name, token.expires_at)


async def alyx_token(ctx: Context, user_id: int) -> str:
    """The user's Alyx token: the same one on every login while it is valid, as Alyx
    answers, else a new one. Its secret is derived from its id (:func:`derived_secret`), so
    it can be handed out again though only its hash is stored; a live token whose secret
    is not derived (issued before, or under another key) is left alone and a derived one
    issued."""
    key, now = ctx.settings.secret_key, ctx.now()
    live = (
        select(_tokens.c.id, _tokens.c.secret_hash)
        .where(
            _tokens.c.user_id == user_id,
            _tokens.c.kind == TokenKind.ALYX.value,
            _tokens.c.revoked_at.is_(None),
            or_(_tokens.c.expires_at.is_(None), _tokens.c.expires_at > now),
        )
        .order_by(_tokens.c.created_at.desc(), _tokens.c.id)
    )
    async with ctx.sessionmaker() as session:
        for token in (await session.execute(live)).all():
            secret = derived_secret(key, token.id)
            if hmac.compare_digest(hash_secret(secret), token.secret_hash):
                return secret
        token_id = uuid.uuid4()
        secret = derived_secret(key, token_id)
        lifetime = _lifetime(ctx, TokenKind.ALYX)
        session.add(
            Token(
                id=token_id,
                user_id=user_id,
                kind=TokenKind.ALYX.value,
                name="Alyx token",
                secret_hash=hash_secret(secret),
                prefix=display_prefix(secret),
                created_at=now,
                # Alyx's lifetime may be 0: a token that never expires.
                expires_at=now + lifetime if lifetime else None,
            )
        )
        await session.commit()
    return secret


async def issue_token_pair(
    ctx: Context, user_id: int, *, family: uuid.UUID | None = None, session: Any = None
) -> TokenPair:
    """A one-hour access JWT and a thirty-day refresh JWT of one login ``family``."""
    family = family or uuid.uuid4()
    now = ctx.now()
    encoded = {}
    rows = []
    for kind in (TokenKind.ACCESS, TokenKind.REFRESH):
        jti = uuid.uuid4()
        expires = now + _lifetime(ctx, kind)
        encoded[kind] = encode_jwt(
            ctx.settings.secret_key,
            user_id=user_id,
            kind=kind,
            jti=jti,
            family=family,
            issued=now,
            expires=expires,
        )
        rows.append(
            Token(
                id=jti,
                user_id=user_id,
                kind=kind.value,
                secret_hash=hash_secret(encoded[kind]),
                prefix=display_prefix(encoded[kind]),
                family_id=family,
                created_at=now,
                expires_at=expires,
            )
        )
    if session is None:
        async with ctx.sessionmaker() as own:
            own.add_all(rows)
            await own.commit()
    else:
        session.add_all(rows)
    return TokenPair(
        access=encoded[TokenKind.ACCESS],
        refresh=encoded[TokenKind.REFRESH],
        expires_in=ctx.settings.access_token_seconds,
    )


async def refresh_token_pair(ctx: Context, refresh: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one stops working. Presenting a
    refresh token that was already exchanged revokes its whole family (it was stolen, or
    the legitimate holder's copy was)."""
    now = ctx.now()
    claims = decode_jwt(ctx.settings.secret_key, refresh, now=now)
    if claims.kind is not TokenKind.REFRESH:
        raise Unauthenticated(INVALID_TOKEN)
    async with ctx.sessionmaker() as session:
        active = select(_users.c.id).where(
            _users.c.id == claims.user_id, _users.c.is_active.is_(True)
        )
        if (await session.execute(active)).first() is None:
            raise Unauthenticated(INVALID_TOKEN)
        # One conditional update decides, atomically, which of two racing exchanges wins.
        claimed = await session.execute(
            update(_tokens)
            .where(
                _tokens.c.id == claims.jti,
                _tokens.c.secret_hash == hash_secret(refresh),
                _tokens.c.used_at.is_(None),
                _tokens.c.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            known = (
                await session.execute(select(_tokens.c.id).where(_tokens.c.id == claims.jti))
            ).first()
            if known is None:
                raise Unauthenticated(INVALID_TOKEN)
            await session.execute(
                update(_tokens)
                .where(_tokens.c.family_id == claims.family, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            await session.commit()
            await credentials_revoked(ctx, claims.user_id)
            raise Unauthenticated(REFRESH_REUSED)
        pair = await issue_token_pair(ctx, claims.user_id, family=claims.family, session=session)
        await session.commit()
    return pair


def _live_credentials() -> Select[Any]:
    """Tokens not revoked, of active users, with what a principal is made of (the caller
    still checks expiry: it depends on the clock)."""
    return (
        select(
            _tokens.c.id,
            _tokens.c.kind,
            _tokens.c.expires_at,
            _tokens.c.last_used_at,
            _users.c.id.label("user_id"),
            _users.c.is_admin,
            _users.c.is_reviewer,
        )
        .join(_users, _users.c.id == _tokens.c.user_id)
        .where(_tokens.c.revoked_at.is_(None), _users.c.is_active.is_(True))
    )


def _expired(row: Row[Any], now: datetime) -> bool:
    return row.expires_at is not None and row.expires_at <= now


def _principal(row: Row[Any], portal: Portal = Portal.PRIVATE) -> Principal:
    return Principal(
        user_id=row.user_id,
        is_admin=row.is_admin,
        is_reviewer=row.is_reviewer,
        portal=portal,
        token_id=row.id,
    )


async def authenticate(ctx: Context, credential: str) -> Principal:
    """The principal behind any kind of token; :class:`Unauthenticated` when it is unknown,
    expired, revoked, or its user is inactive."""
    now = ctx.now()
    stmt = _live_credentials().where(_tokens.c.secret_hash == hash_secret(credential))
    if looks_like_jwt(credential):
        claims = decode_jwt(ctx.settings.secret_key, credential, now=now)
        if claims.kind is not TokenKind.ACCESS:
            raise Unauthenticated(INVALID_TOKEN)
        stmt = stmt.where(_tokens.c.id == claims.jti)
    async with ctx.sessionmaker() as session:
        row = (await session.execute(stmt)).first()
        if row is None or _expired(row, now):
            raise Unauthenticated(INVALID_TOKEN)
        if row.kind == TokenKind.PERSONAL and (
            row.last_used_at is None or now - row.last_used_at >= SLIDING_RENEWAL
        ):
            await session.execute(
                update(_tokens)
                .where(_tokens.c.id == row.id)
                .values(last_used_at=now, expires_at=now + _lifetime(ctx, TokenKind.PERSONAL))
            )
            await session.commit()
    return _principal(row)


async def recheck(ctx: Context, principal: Principal) -> Principal:
    """``principal`` as its credential stands now, for a connection that outlives a request:
    the user's current admin and reviewer flags; :class:`Unauthenticated` once the token is
    revoked or expired or its user deactivated. One primary-key read, and nothing renewed
    (a socket left open does not keep a sliding token alive)."""
    if principal.token_id is None:
        return principal  # anonymous: nothing to lapse
    async with read_connection(ctx.sessionmaker) as conn:
        query = _live_credentials().where(_tokens.c.id == principal.token_id)
        row = (await conn.execute(query)).first()
    if row is None or _expired(row, ctx.now()):
        raise Unauthenticated(INVALID_TOKEN)
    return _principal(row, principal.portal)


async def revoke_token(ctx: Context, token_id: uuid.UUID) -> Row[Any]:
    """Revoke one of the caller's tokens (admins: anyone's); a whole login family at once for
    JWTs. Unknown and foreign tokens are the same :class:`NotFound`."""
    principal = ctx.principal
    if principal.user_id is None:
        raise Unauthenticated("Authentication required.")
    now = ctx.now()
    async with ctx.sessionmaker() as session:
        query = select(*readable_columns(_tokens)).where(_tokens.c.id == token_id)
        if not principal.is_admin:
            query = query.where(_tokens.c.user_id == principal.user_id)
        row = (await session.execute(query)).first()
        if row is None:
            raise NotFound("Token not found.")
        target = (
            _tokens.c.family_id == row.family_id
            if row.family_id is not None
            else _tokens.c.id == row.id
        )
        await session.execute(
            update(_tokens).where(target, _tokens.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        await session.commit()
        await credentials_revoked(ctx, row.user_id)
        refreshed = select(*readable_columns(_tokens)).where(_tokens.c.id == token_id)
        return (await session.execute(refreshed)).one()


async def credentials_revoked(ctx: Context, user_id: int) -> None:
    """Tell every process that some of ``user_id``'s credentials are revoked (requests need
    not hear it: each checks its token in the database)."""
    await ctx.events.publish(Event(CREDENTIALS_TOPIC, {"user_id": user_id}))


async def logout(ctx: Context) -> None:
    """Revoke the credential this request presented."""
    if ctx.principal.token_id is None:
        raise Unauthenticated("Authentication required.")
    await revoke_token(ctx, ctx.principal.token_id)


async def list_my_tokens(ctx: Context) -> list[Row[Any]]:
    """The caller's live tokens (never their secrets: only hashes exist)."""
    if ctx.principal.user_id is None:
        raise Unauthenticated("Authentication required.")
    now = ctx.now()
    async with ctx.sessionmaker() as session:
        rows = await session.execute(
            select(*readable_columns(_tokens))
            .where(
                _tokens.c.user_id == ctx.principal.user_id,
                _tokens.c.revoked_at.is_(None),
                _tokens.c.used_at.is_(None),
                or_(_tokens.c.expires_at.is_(None), _tokens.c.expires_at > now),
            )
            .order_by(_tokens.c.created_at.desc(), _tokens.c.id)
        )
        return list(rows.all())


async def get_user(ctx: Context, user_id: int) -> Row[Any]:
    async with ctx.sessionmaker() as session:
        query = select(*readable_columns(_users)).where(_users.c.id == user_id)
        row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("User not found.")
    return row
