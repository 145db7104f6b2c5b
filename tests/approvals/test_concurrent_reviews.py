"""Many reviewers accepting one approval at once, through a live server, on each database:
exactly one wins, every other one is a clean 409 conflict saying the approval was already
accepted, and nothing answers 5xx (SQLite included, where writers must take turns)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import Species, table
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.auth.support import bearer, make_user, personal_token
from tests.live import serve

RACERS = 20
TAXONOMIES = "/api/private/taxonomies"
REVIEW = """mutation ($id: ID!) { reviewApproval(id: $id, decision: ACCEPT) {
  __typename ... on ConflictError { message } } }"""


async def _people(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    tokens = {}
    for name, flags in {"alice": {}, "rita": {"is_reviewer": True}}.items():
        user_id = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        tokens[name] = await personal_token(sessionmaker, user_id, now=utcnow())
    return tokens


async def _species_named(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> int:
    species = table(Species)
    query = select(func.count()).select_from(species).where(species.c.name == name)
    async with sessionmaker() as session:
        return (await session.execute(query)).scalar_one()  # type: ignore[no-any-return]


async def _propose(client: httpx.AsyncClient, token: str, name: str) -> str:
    response = await client.post(
        f"{TAXONOMIES}/species/", json={"name": name}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    return response.json()["species_approval"]["id"]  # type: ignore[no-any-return]


Accept = Callable[[httpx.AsyncClient, str, str], Awaitable[Any]]


async def _race(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], name: str, accept: Accept
) -> list[Any]:
    """Propose species ``name``, then have its approval accepted RACERS times at once."""
    tokens = await _people(sessionmaker)
    with serve(create_app(settings)) as base:
        limits = httpx.Limits(max_connections=RACERS)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            approval = await _propose(client, tokens["alice"], name)
            return await asyncio.gather(
                *(accept(client, tokens["rita"], approval) for _ in range(RACERS))
            )


async def test_twenty_brainstem_accepts_at_once_give_one_success_and_clean_conflicts(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def accept(client: httpx.AsyncClient, token: str, approval: str) -> httpx.Response:
        url = f"{TAXONOMIES}/speciesapproval/{approval}/accept"
        return await client.patch(url, json={}, headers=bearer(token))

    answers = await _race(settings, sessionmaker, "Axolotl", accept)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json() == {"detail": "This approval was already accepted."}
    assert await _species_named(sessionmaker, "Axolotl") == 1


async def test_twenty_graphql_accepts_at_once_give_one_approval_and_conflict_errors(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def accept(client: httpx.AsyncClient, token: str, approval: str) -> Any:
        response = await client.post(
            "/graphql",
            json={"query": REVIEW, "variables": {"id": approval}},
            headers=bearer(token),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["reviewApproval"]

    results = await _race(settings, sessionmaker, "Pangolin", accept)
    kinds = sorted(result["__typename"] for result in results)
    assert kinds == ["Approval"] + ["ConflictError"] * (RACERS - 1), results
    messages = {result.get("message") for result in results} - {None}
    assert messages == {"This approval was already accepted."}
    assert await _species_named(sessionmaker, "Pangolin") == 1
