"""Identity in GraphQL: who am I, my tokens, and the login / token mutations.

Expected failures (bad credentials, a spent refresh token, an unknown token id) are typed
results in the schema, not errors.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.auth.tokens import TokenKind
from gateway.errors import NotFound, Unauthenticated
from resolvers import auth
from resolvers.context import Context
from schema.errors import AuthenticationError, Done, NotFoundError

Info = strawberry.Info[Context, None]


@strawberry.type(description="The signed-in user, with the private fields only they see.")
class Me:
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_admin: bool
    is_reviewer: bool

    @classmethod
    def from_row(cls, row: Any) -> Me:
        return cls(
            id=row.id,
            username=row.username,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            is_admin=row.is_admin,
            is_reviewer=row.is_reviewer,
        )


@strawberry.type(description="A credential of the signed-in user; its secret is never shown.")
class TokenInfo:
    id: strawberry.ID
    kind: str
    name: str
    prefix: str = strawberry.field(description="The first characters of the secret.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def from_row(cls, row: Any) -> TokenInfo:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked=row.revoked_at is not None,
        )


@strawberry.type(description="An access token (one hour) and a refresh token (thirty days).")
class TokenPair:
    access: str
    refresh: str
    token_type: str = "bearer"
    expires_in: int


@strawberry.type(description="A new personal access token: the secret is shown this once.")
class CreatedToken:
    token: str
    info: TokenInfo


LoginResult = Annotated[TokenPair | AuthenticationError, strawberry.union("LoginResult")]
LogoutResult = Annotated[Done | AuthenticationError, strawberry.union("LogoutResult")]
CreateTokenResult = Annotated[
    CreatedToken | AuthenticationError, strawberry.union("CreateTokenResult")
]
RevokeResult = Annotated[
    TokenInfo | AuthenticationError | NotFoundError, strawberry.union("RevokeResult")
]


def _pair(pair: auth.TokenPair) -> TokenPair:
    return TokenPair(access=pair.access, refresh=pair.refresh, expires_in=pair.expires_in)


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in user; null for anonymous callers.")
    async def me(self, info: Info) -> Me | None:
        user_id = info.context.principal.user_id
        if user_id is None:
            return None
        return Me.from_row(await auth.get_user(info.context, user_id))

    @strawberry.field(description="The signed-in user's live tokens, newest first.")
    async def my_tokens(self, info: Info) -> list[TokenInfo]:
        return [TokenInfo.from_row(row) for row in await auth.list_my_tokens(info.context)]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in by email or username: an access/refresh pair.")
    async def login(self, info: Info, login: str, password: str) -> LoginResult:
        try:
            user = await auth.check_password(info.context, login, password)
        except Unauthenticated as error:
            return AuthenticationError(message=error.message)
        return _pair(await auth.issue_token_pair(info.context, user.id))

    @strawberry.mutation(description="Exchange a refresh token for a new pair (it is spent).")
    async def refresh_token(self, info: Info, refresh: str) -> LoginResult:
        try:
            return _pair(await auth.refresh_token_pair(info.context, refresh))
        except Unauthenticated as error:
            return AuthenticationError(message=error.message)

    @strawberry.mutation(description="Revoke the token this request was made with.")
    async def logout(self, info: Info) -> LogoutResult:
        try:
            await auth.logout(info.context)
        except Unauthenticated as error:
            return AuthenticationError(message=error.message)
        return Done()

    @strawberry.mutation(description="A named personal access token (sliding one-year expiry).")
    async def create_personal_access_token(self, info: Info, name: str) -> CreateTokenResult:
        user_id = info.context.principal.user_id
        if user_id is None:
            return AuthenticationError(message="Authentication required.")
        issued = await auth.issue_token(
            info.context, user_id, TokenKind.PERSONAL, name=name.strip()[:200]
        )
        rows = await auth.list_my_tokens(info.context)
        row = next(r for r in rows if r.id == issued.id)
        return CreatedToken(token=issued.secret, info=TokenInfo.from_row(row))

    @strawberry.mutation(description="Revoke one of your tokens (a JWT's whole login).")
    async def revoke_token(self, info: Info, id: strawberry.ID) -> RevokeResult:
        try:
            token_id = _uuid(id)
            return TokenInfo.from_row(await auth.revoke_token(info.context, token_id))
        except Unauthenticated as error:
            return AuthenticationError(message=error.message)
        except NotFound as error:
            return NotFoundError(message=error.message)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound("Token not found.") from exc
