"""BrainMaps lists read through the one read path: a species' category and a brain's species
fold into the list's own statement, so a page costs the same statements whatever its size."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainmaps.support import arrange


@pytest.mark.parametrize("path", ["/api/brains/", "/api/species/", "/api/categories/"])
async def test_a_page_costs_the_same_statements_whatever_its_size(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], path: str
) -> None:
    await arrange(sessionmaker)
    counts = {}
    for size in (1, 2):
        gateway.statements.reset()
        response = await gateway.client.get(f"{path}?page_size={size}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) == size <= body["count"]
        counts[size] = gateway.statements.count
    assert counts[1] == counts[2] == 1, gateway.statements.statements


async def test_related_names_come_with_the_rows(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await arrange(sessionmaker)
    species = (await gateway.client.get("/api/species/?page_size=10")).json()["results"]
    assert {s["scientific_name"]: s["category"] for s in species} == {
        "Mus musculus": "Rodents",
        "Rattus norvegicus": "Rodents",
        "Octopus vulgaris": "Cephalopods",
    }
    brains = (await gateway.client.get("/api/brains/?page_size=10")).json()["results"]
    shown = {b["readable_id"]: b["species"] for b in brains}
    assert shown["mouse-cortex"] == "Mus musculus"
    assert shown["rat-whole"] == "Rattus norvegicus"
