"""``approvalEvents`` reach the stock npm ``graphql-ws`` client in Node: every message is a
text frame, and the token rides in the connection_init payload."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests import node
from tests.auth.support import make_user, personal_token
from tests.live import serve

PROPOSE = """mutation ($name: String!) { proposeSpecies(input: {name: $name}) {
  ... on Approval { id } } }"""


async def read_json_line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line, "the client exited without a word"
    return json.loads(line)  # type: ignore[no-any-return]


async def propose_until_heard(
    base: str, token: str, heard: asyncio.Task[dict[str, Any]]
) -> dict[str, Any]:
    """Propose species until the subscriber hears one: a subscription starts listening a
    moment after its subscribe message, and the protocol has no acknowledgement for it."""
    async with httpx.AsyncClient(base_url=base) as client:
        for attempt in range(40):
            response = await client.post(
                "/graphql",
                json={"query": PROPOSE, "variables": {"name": f"Axolotl {attempt}"}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert "errors" not in response.json(), response.text
            done, _ = await asyncio.wait({heard}, timeout=0.25)
            if done:
                return heard.result()
    raise AssertionError("the subscriber heard no event")


async def test_the_stock_graphql_ws_client_in_node_receives_an_approval_event(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    reviewer = await make_user(sessionmaker, "rita@lab.org", is_reviewer=True)
    submitter = await make_user(sessionmaker, "alice@lab.org")
    rita = await personal_token(sessionmaker, reviewer, now=utcnow())
    alice = await personal_token(sessionmaker, submitter, now=utcnow())
    with serve(create_app(settings)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        process = await node.start("subscribe.mjs", url, rita)
        try:
            assert await read_json_line(process) == {"connected": True}
            heard = asyncio.ensure_future(read_json_line(process))
            message = await propose_until_heard(base, alice, heard)
            assert await asyncio.wait_for(process.wait(), timeout=10) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    event = message["result"]["data"]["approvalEvents"]
    assert event["kind"] == "PROPOSED"
    assert event["approval"]["status"] == "PENDING"
    assert event["approval"]["submitter"] == {"username": "alice"}
    assert event["approval"]["proposed"]["name"].startswith("Axolotl")
