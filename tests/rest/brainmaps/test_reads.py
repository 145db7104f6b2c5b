"""BrainMaps' read endpoints (seed 000): categories, species, brains, under /api/ and /v1/."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainmaps.support import PREFIXES, SEED_404, arrange

Sessionmaker = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_category_list_is_paginated_with_seed_fields(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(f"{prefix}/categories/")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [c["name"] for c in body["results"]] == ["Cephalopods", "Rodents"]
    assert set(body["results"][0]) == {"id", "name", "description"}
    assert body["results"][0]["description"] == "Octopuses, squids, and cuttlefish"


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_category_is_found_by_name(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(f"{prefix}/categories/Rodents/")
    assert response.status_code == 200
    assert response.json()["description"] == "Mice and rats"
    missing = await gateway.client.get(f"{prefix}/categories/Fish/")
    assert (missing.status_code, missing.json()) == (404, SEED_404)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_species_record_names_its_category(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(f"{prefix}/species/House mouse/")
    assert response.status_code == 200
    record = response.json()
    assert record["scientific_name"] == "Mus musculus"
    assert record["category"] == "Rodents"
    assert set(record) == {"id", "name", "scientific_name", "description", "category"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=Rodents", ["Brown rat", "House mouse"]),
        ("category=rodents", ["Brown rat", "House mouse"]),  # seed 000: ?category=rodents
        ("scientific_name=Octopus vulgaris", ["Common octopus"]),
        ("scientific_name=mus-musculus", ["House mouse"]),
        ("search=mouse", ["House mouse"]),
        ("category=Rodents&search=rat", ["Brown rat"]),
    ],
)
async def test_species_filters_by_category_scientific_name_and_search(
    gateway: Gateway, sessionmaker: Sessionmaker, query: str, expected: list[str]
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(f"/api/species/?{query}")
    assert response.status_code == 200, response.text
    assert [s["name"] for s in response.json()["results"]] == expected


async def test_brain_list_hides_unverified_brains_from_the_public(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    public = (await gateway.client.get("/api/brains/")).json()
    assert public["count"] == 3
    assert "octo-draft" not in [b["readable_id"] for b in public["results"]]
    mine = await gateway.client.get("/api/brains/", headers=atlas.headers("alice"))
    assert "octo-draft" in [b["readable_id"] for b in mine.json()["results"]]


async def test_brain_record_has_the_brainmaps_fields(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.get("/api/brains/by_readable_id/?readable_id=mouse-cortex")
    assert response.status_code == 200
    brain = response.json()
    assert brain["id"] == atlas.brain_ids["mouse-cortex"]
    assert brain["species"] == "Mus musculus"
    assert brain["uploader"] == atlas.users["alice"]
    assert brain["verified"] is True
    assert brain["date_uploaded"] == "2024-01-01T00:00:00Z"
    assert brain["file"] is None
    assert {"uuid", "name", "description", "category"} <= set(brain)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_brain_by_readable_id_under_every_prefix(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    await arrange(sessionmaker)
    found = await gateway.client.get(f"{prefix}/brains/by_readable_id/?readable_id=rat-whole")
    assert found.json()["name"] == "Rat whole brain"
    hidden = await gateway.client.get(f"{prefix}/brains/by_readable_id/?readable_id=octo-draft")
    assert (hidden.status_code, hidden.json()) == (404, SEED_404)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("species=Mus musculus", ["mouse-hippo", "mouse-cortex"]),
        ("species=mus-musculus&verified=true", ["mouse-hippo", "mouse-cortex"]),
        ("verified=false", []),
        ("uploader={bob}", ["rat-whole", "mouse-hippo"]),
        ("category=rodents&uploader={alice}", ["mouse-cortex"]),
        ("search=cortex", ["rat-whole", "mouse-cortex"]),  # name or description
        ("search=golgi", ["mouse-hippo"]),
    ],
)
async def test_brain_list_filters(
    gateway: Gateway, sessionmaker: Sessionmaker, query: str, expected: list[str]
) -> None:
    atlas = await arrange(sessionmaker)
    url = "/api/brains/?" + query.format(**atlas.users)
    response = await gateway.client.get(url)
    assert response.status_code == 200, response.text
    assert [b["readable_id"] for b in response.json()["results"]] == expected


async def test_brain_pages_link_to_each_other_keeping_filters(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange(sessionmaker)
    first = (await gateway.client.get("/v1/brains/?verified=true&page_size=2")).json()
    assert first["count"] == 3
    assert first["previous"] is None
    assert first["next"] == "http://testserver/v1/brains/?verified=true&page_size=2&page=2"
    second = (await gateway.client.get(first["next"])).json()
    assert [b["readable_id"] for b in second["results"]] == ["mouse-cortex"]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/v1/brains/?verified=true&page_size=2"
    ids = [b["readable_id"] for b in first["results"] + second["results"]]
    assert len(set(ids)) == 3


async def test_brain_list_agrees_with_graphql_brains(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    rest = await gateway.client.get(
        "/api/brains/?species=Mus musculus", headers=atlas.headers("alice")
    )
    graphql = await gateway.client.post(
        "/graphql",
        json={
            "query": "query ($w: BrainWhere) { brains(where: $w) { id readableId } }",
            "variables": {"w": {"speciesScientificName": {"eq": "Mus musculus"}}},
        },
        headers=atlas.headers("alice"),
    )
    expected = [(b["id"], b["readableId"]) for b in graphql.json()["data"]["brains"]]
    assert len(expected) == 2
    assert [(b["id"], b["readable_id"]) for b in rest.json()["results"]] == expected
