"""Shared helpers of the authentication tests: users, a movable clock, and each surface's
login flow driven over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.passwords import hash_password
from gateway.auth.tokens import TokenKind, hash_secret, new_secret
from gateway.db.models import Token, User
from gateway.db.models._base import utcnow
from tests.conftest import Gateway

PASSWORD = "correct horse battery staple"
# Hashed once: Argon2 is deliberately slow.
PASSWORD_HASH = hash_password(PASSWORD)
# Before the wall clock; test_jwts_follow_the_injected_clock_even_when_it_is_ahead_of_the_wall_clock
# covers a clock that runs ahead.
T0 = datetime(2023, 3, 1, 12, 0, 0)
BAD_CREDENTIALS = "Unable to log in with provided credentials."
BRAINMAPS_401 = {
    "error": "Authentication required",
    "detail": "Please log in to access this resource",
}
ME = "{ me { email } }"


class Clock:
    """A clock the app reads on every request; tests move it instead of sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def freeze(gateway: Gateway, now: datetime = T0) -> Clock:
    clock = Clock(now)
    gateway.app.state.clock = clock
    return clock


async def make_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    email: str,
    *,
    username: str | None = None,
    with_password: bool = True,
    **kw: Any,
) -> int:
    async with sessionmaker() as session:
        user = User(
            email=email,
            username=username or email.split("@")[0],
            password_hash=PASSWORD_HASH if with_password else None,
            **kw,
        )
        session.add(user)
        await session.commit()
        assert user.id is not None
        return user.id


async def personal_token(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, *, now: datetime = T0
) -> str:
    """A personal access token written straight to the database (for tests about what a
    principal may see, not about how the token was obtained)."""
    secret = new_secret(TokenKind.PERSONAL)
    async with sessionmaker() as session:
        session.add(
            Token(
                user_id=user_id,
                kind=TokenKind.PERSONAL.value,
                name="test",
                secret_hash=hash_secret(secret),
                prefix=secret[:8],
                created_at=now,
                expires_at=now + timedelta(days=365),
            )
        )
        await session.commit()
    return secret


async def admin_token(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """A personal token of a new administrator, ada@lab.org, valid from now."""
    admin = await make_user(sessionmaker, "ada@lab.org", is_admin=True)
    return await personal_token(sessionmaker, admin, now=utcnow())


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


async def gql(
    gateway: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


async def gql_data(
    gateway: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """The ``data`` of a GraphQL request that must succeed."""
    response = await gql(gateway, query, variables, headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def me_email(gateway: Gateway, token: str, scheme: str = "Bearer") -> str | None:
    """Who GraphQL says the token belongs to; fails the test on anything but a 200."""
    data = await gql_data(gateway, ME, headers=bearer(token, scheme))
    return data["me"]["email"] if data["me"] else None


async def graphql_status(gateway: Gateway, token: str, scheme: str = "Bearer") -> int:
    return (await gql(gateway, ME, headers=bearer(token, scheme))).status_code


async def brainstem_pair(gateway: Gateway, email: str) -> dict[str, Any]:
    response = await gateway.client.post(
        "/api/auth/token/", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def legacy_token(gateway: Gateway, username: str) -> dict[str, Any]:
    response = await gateway.client.post(
        "/api/token/", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def brainmaps_login(gateway: Gateway, email: str, prefix: str = "") -> dict[str, Any]:
    response = await gateway.client.post(
        f"{prefix}/api/auth/login/", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def alyx_login(gateway: Gateway, username: str) -> str:
    response = await gateway.client.post(
        "/auth-token", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token"]
    return body["token"]  # type: ignore[no-any-return]


async def token_of_kind(gateway: Gateway, kind: str, email: str) -> str:
    """A credential of ``kind`` obtained through the surface that issues it."""
    if kind == "personal":
        return (await legacy_token(gateway, email))["token"]  # type: ignore[no-any-return]
    if kind == "access":
        return (await brainstem_pair(gateway, email))["access"]  # type: ignore[no-any-return]
    if kind == "session":
        return (await brainmaps_login(gateway, email))["token"]  # type: ignore[no-any-return]
    if kind == "alyx":
        return await alyx_login(gateway, email)
    raise AssertionError(kind)
