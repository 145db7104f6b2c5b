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
    id: int = strawberry.field(description="Your user id.")
    username: str = strawberry.field(description="Your unique user name.")
    email: str = strawberry.field(description="Your email address (only you see it).")
    first_name: str = strawberry.field(description="Your first name.")
    last_name: str = strawberry.field(description="Your last name.")
    is_admin: bool = strawberry.field(description="Whether you administer the gateway.")
    is_reviewer: bool = strawberry.field(description="Whether you review taxonomy proposals.")

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
    id: strawberry.ID = strawberry.field(description="Its id (revokeToken takes it).")
    kind: str = strawberry.field(
        description="personal, access, refresh, session (BrainMaps) or alyx."
    )
    name: str = strawberry.field(description="The name you gave it (personal tokens).")
    prefix: str = strawberry.field(description="The first characters of the secret.")
    created_at: datetime = strawberry.field(description="When it was issued (UTC).")
    expires_at: datetime | None = strawberry.field(
        description="When it expires (UTC); null if it does not."
    )
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used (UTC); null if never."
    )
    revoked: bool = strawberry.field(description="Whether it was revoked.")

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
    access: str = strawberry.field(description="The access token: send it as Bearer.")
    refresh: str = strawberry.field(description="The refresh token: refreshToken takes it.")
    token_type: str = strawberry.field(default="bearer", description="Always bearer.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")


@strawberry.type(description="A new personal access token: the secret is shown this once.")
class CreatedToken:
    token: str = strawberry.field(description="The secret: send it as Bearer; keep it safe.")
    info: TokenInfo = strawberry.field(description="The token as myTokens lists it.")


LoginResult = Annotated[
    TokenPair | AuthenticationError,
    strawberry.union("LoginResult", description="A token pair, or why not."),
]
LogoutResult = Annotated[
    Done | AuthenticationError,
    strawberry.union("LogoutResult", description="Done, or why not."),
]
CreateTokenResult = Annotated[
    CreatedToken | AuthenticationError,
    strawberry.union("CreateTokenResult", description="The new token, or why not."),
]
RevokeResult = Annotated[
    TokenInfo | AuthenticationError | NotFoundError,
    strawberry.union("RevokeResult", description="The revoked token, or why not."),
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
    async def login(
        self,
        info: Info,
        login: Annotated[str, strawberry.argument(description="Your email or username.")],
        password: Annotated[str, strawberry.argument(description="Your password.")],
    ) -> LoginResult:
        try:
            user = await auth.check_password(info.context, login, password)
        except Unauthenticated as error:
            return AuthenticationError(message=error.message)
        return _pair(await auth.issue_token_pair(info.context, user.id))

    @strawberry.mutation(description="Exchange a refresh token for a new pair (it is spent).")
    async def refresh_token(
        self,
        info: Info,
        refresh: Annotated[str, strawberry.argument(description="The pair's refresh token.")],
    ) -> LoginResult:
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
    async def create_personal_access_token(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="What it is for (200 characters).")],
    ) -> CreateTokenResult:
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
    async def revoke_token(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The token's id.")],
    ) -> RevokeResult:
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
