"""``approvalEvents`` over graphql-transport-ws on a live server: reviewers hear of every
proposal and decision, submitters of decisions on theirs, nobody of what they may not see."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.auth.support import make_user, personal_token
from tests.live import serve

SUBSCRIPTION = """subscription { approvalEvents {
  kind approval { status proposed submitter { username } reviewer { username } } } }"""


@asynccontextmanager
async def subscriber(url: str, token: str | None) -> AsyncIterator[Any]:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        yield ws


async def next_event(ws: Any) -> dict[str, Any]:
    message = json.loads(await ws.recv())
    assert message["type"] == "next", message
    return message["payload"]["data"]["approvalEvents"]  # type: ignore[no-any-return]


async def _tokens(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    tokens = {}
    for name, flags in {"alice": {}, "bob": {}, "rita": {"is_reviewer": True}}.items():
        user_id = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        tokens[name] = await personal_token(sessionmaker, user_id, now=utcnow())
    return tokens


PROPOSE = """mutation ($name: String!) { proposeSpecies(input: {name: $name}) {
  ... on Approval { id } } }"""
REVIEW = """mutation ($id: ID!, $d: ReviewDecision!) { reviewApproval(id: $id, decision: $d) {
  __typename } }"""


async def _call(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_reviewers_and_submitters_hear_what_concerns_them(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await _tokens(sessionmaker)
    with serve(create_app(settings)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with (
            subscriber(url, tokens["rita"]) as rita,
            subscriber(url, tokens["alice"]) as alice,
            subscriber(url, tokens["bob"]) as bob,
            httpx.AsyncClient(base_url=base) as client,
        ):
            proposed = await _call(client, tokens["alice"], PROPOSE, name="Ferret")
            approval_id = proposed["proposeSpecies"]["id"]
            event = await next_event(rita)
            assert event == {
                "kind": "PROPOSED",
                "approval": {
                    "status": "PENDING",
                    "proposed": {"name": "Ferret"},
                    "submitter": {"username": "alice"},
                    "reviewer": None,
                },
            }
            await _call(client, tokens["rita"], REVIEW, id=approval_id, d="ACCEPT")
            for ws in (rita, alice):
                decided = await next_event(ws)
                assert decided["kind"] == "ACCEPTED"
                assert decided["approval"]["status"] == "ACCEPTED"
                assert decided["approval"]["reviewer"] == {"username": "rita"}
            # Bob heard nothing of Alice's approval: his first event is about his own.
            own = await _call(client, tokens["bob"], PROPOSE, name="Quokka")
            await _call(client, tokens["rita"], REVIEW, id=own["proposeSpecies"]["id"], d="REJECT")
            first = await next_event(bob)
            assert first["kind"] == "REJECTED"
            assert first["approval"]["proposed"] == {"name": "Quokka"}
            assert first["approval"]["submitter"] == {"username": "bob"}


async def test_anonymous_subscribers_are_refused(settings: Settings) -> None:
    with serve(create_app(settings)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with subscriber(url, None) as ws:
            message = json.loads(await ws.recv())
            # An execution error: a "next" carrying errors, then the stream completes.
            assert message["type"] == "next"
            assert message["payload"]["data"] is None
            error = message["payload"]["errors"][0]
            assert error["message"] == "Authentication required."
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert json.loads(await ws.recv())["type"] == "complete"


async def test_a_bad_token_in_connection_init_closes_the_connection(settings: Settings) -> None:
    with serve(create_app(settings)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
            )
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
