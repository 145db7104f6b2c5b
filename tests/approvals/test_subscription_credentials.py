"""A subscription lives no longer than its credential, on a live server over a real websocket:
once the token is revoked, expires or its user is deactivated, the socket closes with 4403
within a few seconds, and no event reaches the subscriber in between."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import Token, User, table
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.approvals.test_approval_events import PROPOSE, REVIEW, _call, next_event, subscriber
from tests.auth.support import make_user, personal_token
from tests.live import serve

# Short, so these tests are quick (the default is 2 s).
RECHECK = 0.3
LOGOUT = "mutation { logout { __typename } }"
PEOPLE: dict[str, dict[str, bool]] = {
    "alice": {},
    "rita": {"is_reviewer": True},
    "ada": {"is_admin": True},
}


async def _people(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    people: dict[str, Any] = {}
    for name, flags in PEOPLE.items():
        user_id = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        people[name] = await personal_token(sessionmaker, user_id, now=utcnow())
        people[f"{name}_id"] = user_id
    return people


@asynccontextmanager
async def _rita_subscribed(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], recheck: float
) -> AsyncIterator[tuple[dict[str, Any], Any, httpx.AsyncClient]]:
    """A live server re-checking credentials every ``recheck`` seconds, Rita (a reviewer)
    subscribed to approval events, and an HTTP client."""
    people = await _people(sessionmaker)
    with serve(create_app(replace(settings, subscription_recheck_seconds=recheck))) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with (
            subscriber(url, people["rita"]) as rita,
            httpx.AsyncClient(base_url=base) as client,
        ):
            yield people, rita, client


async def _write(sessionmaker: async_sessionmaker[AsyncSession], statement: Any) -> None:
    async with sessionmaker() as session:
        await session.execute(statement)
        await session.commit()


Lapse = Callable[
    [httpx.AsyncClient, async_sessionmaker[AsyncSession], dict[str, Any]], Awaitable[None]
]


async def _revoke(client: httpx.AsyncClient, _: Any, people: dict[str, Any]) -> None:
    await _call(client, people["rita"], LOGOUT)


async def _expire(
    _: Any, sessionmaker: async_sessionmaker[AsyncSession], people: dict[str, Any]
) -> None:
    tokens = table(Token)
    await _write(
        sessionmaker,
        update(tokens).where(tokens.c.user_id == people["rita_id"]).values(expires_at=utcnow()),
    )


async def _deactivate(
    _: Any, sessionmaker: async_sessionmaker[AsyncSession], people: dict[str, Any]
) -> None:
    users = table(User)
    await _write(
        sessionmaker, update(users).where(users.c.id == people["rita_id"]).values(is_active=False)
    )


async def _until_closed(ws: Any, timeout: float) -> tuple[list[dict[str, Any]], int | None]:
    """Every message received until the server closes the socket, and its close code."""
    messages = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                messages.append(json.loads(await ws.recv()))
    except websockets.ConnectionClosed as closed:
        return messages, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return messages, None


def _events(messages: list[dict[str, Any]]) -> list[Any]:
    return [m for m in messages if m["type"] == "next" and m["payload"].get("data")]


@pytest.mark.parametrize(
    "lapse", [_revoke, _expire, _deactivate], ids=["revoked", "expired", "deactivated"]
)
async def test_a_lapsed_credential_closes_the_subscription_with_4403_and_delivers_nothing_more(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], lapse: Lapse
) -> None:
    async with _rita_subscribed(settings, sessionmaker, RECHECK) as (people, rita, client):
        await _call(client, people["alice"], PROPOSE, name="Before")
        assert (await next_event(rita))["approval"]["proposed"] == {"name": "Before"}
        await lapse(client, sessionmaker, people)
        lapsed = time.monotonic()
        await _call(client, people["alice"], PROPOSE, name="After")
        messages, code = await _until_closed(rita, timeout=5)
        closed_after = time.monotonic() - lapsed
    assert code == 4403, messages
    assert closed_after < 3 * RECHECK + 1
    assert _events(messages) == []


async def test_an_event_right_after_expiry_is_not_delivered_before_the_next_check(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Delivery checks the credential itself: the periodic check is an hour away here, and an
    expiry (unlike a revocation, which makes the socket check at once) announces nothing."""
    async with _rita_subscribed(settings, sessionmaker, 3600) as (people, rita, client):
        await _expire(client, sessionmaker, people)
        await _call(client, people["alice"], PROPOSE, name="Secret")
        message = json.loads(await asyncio.wait_for(rita.recv(), 5))
    # The stream ends with why, and carries no approval.
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revocation_closes_the_subscription_at_once_not_at_the_next_check(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with _rita_subscribed(settings, sessionmaker, 3600) as (people, rita, client):
        await _revoke(client, sessionmaker, people)
        messages, code = await _until_closed(rita, timeout=5)
    assert code == 4403
    assert _events(messages) == []


async def test_a_reviewer_demoted_mid_subscription_hears_only_of_their_own_approvals(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    users = table(User)
    async with _rita_subscribed(settings, sessionmaker, 3600) as (people, rita, client):
        await _write(
            sessionmaker,
            update(users).where(users.c.id == people["rita_id"]).values(is_reviewer=False),
        )
        await _call(client, people["alice"], PROPOSE, name="Not for Rita")
        own = await _call(client, people["rita"], PROPOSE, name="Rita's")
        await _call(client, people["ada"], REVIEW, id=own["proposeSpecies"]["id"], d="ACCEPT")
        first = await asyncio.wait_for(next_event(rita), 5)
    assert first["kind"] == "ACCEPTED"
    assert first["approval"]["proposed"] == {"name": "Rita's"}


async def test_a_valid_credential_keeps_its_subscription_open(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with _rita_subscribed(settings, sessionmaker, RECHECK) as (people, rita, client):
        await asyncio.sleep(4 * RECHECK)
        await _call(client, people["alice"], PROPOSE, name="Still here")
        assert (await next_event(rita))["approval"]["proposed"] == {"name": "Still here"}


async def test_a_socket_authenticated_by_header_is_watched_too(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    people = await _people(sessionmaker)
    with serve(create_app(replace(settings, subscription_recheck_seconds=RECHECK))) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        headers = {"Authorization": f"Bearer {people['rita']}"}
        async with (
            websockets.connect(
                url, subprotocols=["graphql-transport-ws"], additional_headers=headers  # type: ignore[list-item]
            ) as ws,
            httpx.AsyncClient(base_url=base) as client,
        ):
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await _revoke(client, sessionmaker, people)
            messages, code = await _until_closed(ws, timeout=5)
    assert code == 4403, messages


def test_the_recheck_interval_must_be_positive() -> None:
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(ValueError, match="NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS"):
            Settings.from_env({"NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS": bad})
    assert Settings.from_env({}).subscription_recheck_seconds == 2.0
