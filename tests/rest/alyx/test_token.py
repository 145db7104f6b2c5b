"""Alyx's ``/auth-token`` hands out the same token on every login while it is valid (Django
REST framework's ``obtain_auth_token``), though neurogate stores only token hashes: the
secret is derived from the token's id under the server key. 24 hours by default,
``NEUROGATE_ALYX_TOKEN_SECONDS=0`` for tokens that never expire."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Token, table
from gateway.db.models._base import utcnow
from tests.auth.support import PASSWORD, alyx_login, bearer, freeze, make_user
from tests.conftest import Gateway

Sessionmaker = async_sessionmaker[AsyncSession]
_tokens = table(Token)


async def _stored(sessionmaker: Sessionmaker) -> list[Any]:
    async with sessionmaker() as db:
        return list((await db.execute(select(_tokens).where(_tokens.c.kind == "alyx"))).all())


async def _works(gateway: Gateway, token: str) -> bool:
    response = await gateway.client.get("/sessions", headers=bearer(token, "Token"))
    return response.status_code == 200


async def test_every_login_while_a_token_lives_answers_that_token(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway, utcnow())
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    await make_user(sessionmaker, "bob@lab.org", username="bob")
    first = await alyx_login(gateway, "ada")
    clock.advance(hours=23)
    assert await alyx_login(gateway, "ada") == first
    by_email = await gateway.client.post(
        "/auth-token", data={"username": "ada@lab.org", "password": PASSWORD}
    )
    assert by_email.json() == {"token": first}
    assert await alyx_login(gateway, "bob") != first
    rows = await _stored(sessionmaker)
    assert len(rows) == 2  # one per user, however often they log in
    # Stored hashed: no column holds the secret, nor its start beyond the display prefix.
    assert all(first not in str(tuple(row)) for row in rows)
    assert await _works(gateway, first)


async def test_an_expired_token_is_replaced_at_the_next_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway, utcnow())
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    first = await alyx_login(gateway, "ada")
    clock.advance(hours=24)
    assert not await _works(gateway, first)
    second = await alyx_login(gateway, "ada")
    assert second != first and await _works(gateway, second)
    assert await alyx_login(gateway, "ada") == second


async def test_a_revoked_token_is_replaced_at_the_next_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    first = await alyx_login(gateway, "ada")
    async with sessionmaker() as db:
        await db.execute(update(_tokens).values(revoked_at=utcnow()))
        await db.commit()
    second = await alyx_login(gateway, "ada")
    assert second != first and await _works(gateway, second)
    assert not await _works(gateway, first)


async def test_a_lifetime_of_zero_gives_a_token_that_never_expires(
    make_gateway: Any, sessionmaker: Sessionmaker
) -> None:
    gateway = await make_gateway(alyx_token_seconds=0)
    clock = freeze(gateway, utcnow())
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    token = await alyx_login(gateway, "ada")
    assert [row.expires_at for row in await _stored(sessionmaker)] == [None]
    clock.advance(days=3650)
    assert await _works(gateway, token)
    assert await alyx_login(gateway, "ada") == token


async def test_after_the_secret_key_changes_a_login_gets_a_new_token(
    make_gateway: Any, sessionmaker: Sessionmaker
) -> None:
    """A token issued under another key cannot be recovered (only its hash is stored): the
    login issues a new one, and the old one keeps working until it expires."""
    before = await make_gateway(secret_key="k" * 40)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    first = await alyx_login(before, "ada")
    after = await make_gateway(secret_key="r" * 40)
    second = await alyx_login(after, "ada")
    assert second != first
    assert await _works(after, first) and await _works(after, second)
    assert await alyx_login(after, "ada") == second
