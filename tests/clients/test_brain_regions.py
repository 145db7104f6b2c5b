"""Brain regions as one entity on every surface: the real ``brainstem-python-api-tools`` 2.0.0
client's ``load('brainregion')`` (BrainSTEM taxonomies), GraphQL's ``brainRegions`` and a
session's probe insertions with their trajectories, and Alyx's ``brain-regions`` (tested with
the Alyx family), all from the same rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import BrainRegion, ProbeInsertion, TrajectoryEstimate
from gateway.demo_atlas import ALLEN_REGIONS, brain_regions
from gateway.settings import Settings
from tests.clients.test_brainstem_client import Live, run
from tests.clients.test_brainstem_client import home as home
from tests.conftest import Gateway
from tests.live import serve
from tests.rest.brainstem.support import Lab, arrange


async def add_atlas(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> None:
    """The demo atlas, and a probe insertion with a planned trajectory in the private
    project's session."""
    async with sessionmaker() as db:
        for region in brain_regions():
            db.add(region)
            await db.flush()
        insertion = ProbeInsertion(session_id=uuid.UUID(lab.ids["secret_run"]), name="probe00")
        db.add(insertion)
        await db.flush()
        db.add(TrajectoryEstimate(probe_insertion_id=insertion.id, provenance=10, depth=4000.0))
        await db.commit()


@pytest.fixture
async def live(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], home: Path
) -> AsyncIterator[Live]:
    lab = await arrange(sessionmaker)
    await add_atlas(sessionmaker, lab)
    with serve(create_app(settings)) as url:
        yield Live(url, lab)


async def test_the_brainstem_client_loads_brain_regions(
    live: Live, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    def scenario() -> None:
        client = live.client("alice")
        listed = client.load("brainregion", load_all=True)["brain_regions"]
        assert len(listed) == len(ALLEN_REGIONS)
        visual = client.load_brainregion(name="primary visual").json()["brain_regions"]
        assert {r["acronym"] for r in visual} == {
            "VISp", "VISp1", "VISp2/3", "VISp4", "VISp5", "VISp6a", "VISp6b"
        }  # fmt: skip
        one = client.load("brainregion", id="385")
        assert one.status_code == 200, one.text
        record = one.json()["brain_region"]
        assert {k: record[k] for k in ("id", "name", "acronym", "atlas", "description")} == {
            "id": 385,
            "name": "Primary visual area",
            "acronym": "VISp",
            "atlas": "AIA",
            "description": "",
        }
        assert record["parent_id"] == 669
        public = client.load("brainregion", portal="public", filters={"acronym": "CA1"})
        assert [r["name"] for r in public.json()["brain_regions"]] == ["Field CA1"]
        # Regions are reference data: only administrators write them, as in BrainSTEM.
        new = {"name": "MyNewBrainRegion", "acronym": "MNBR", "atlas": "AIA"}
        refused = client.save("brainregion", data=new)
        assert refused.status_code == 403, refused.text
        assert client.save("brainregion", id="385", data={"description": "x"}).status_code == 403
        assert client.delete("brainregion", id="385").status_code == 403

        admin = live.client("ada")
        created = admin.save("brainregion", data=new)
        assert created.status_code == 201, created.text
        region = created.json()["brain_region"]
        assert region["id"] == max(r.id for r in brain_regions()) + 1  # the next free atlas id
        assert {k: region[k] for k in ("name", "acronym", "atlas", "description")} == {
            **new, "description": ""
        }  # fmt: skip
        changed = admin.save("brainregion", id=str(region["id"]), data={"description": "new"})
        assert changed.json()["brain_region"]["description"] == "new", changed.text
        clash = admin.save("brainregion", data={**new, "name": "Another"})
        assert clash.status_code == 400, clash.text  # the acronym is taken in that atlas
        unknown = admin.save("brainregion", data={**new, "acronym": "X", "atlas": "ABC"})
        assert unknown.status_code == 400 and "atlas" in unknown.json(), unknown.text
        assert admin.delete("brainregion", id=str(region["id"])).status_code == 204
        assert client.load("brainregion", id=str(region["id"])).status_code == 404

    await run(scenario)
    async with sessionmaker() as db:
        count = await db.scalar(select(func.count()).select_from(BrainRegion))
        descriptions = await db.scalars(select(BrainRegion.description).distinct())
        assert list(descriptions) == [""]  # the refused change left nothing behind
    assert count == len(ALLEN_REGIONS)


async def graphql(gateway: Gateway, lab: Lab, who: str | None, query: str) -> Any:
    headers = lab.headers(who)
    response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await add_atlas(sessionmaker, lab)
    return lab


async def test_graphql_reads_regions_and_a_sessions_insertions_as_seen(
    gateway: Gateway, lab: Lab
) -> None:
    data = await graphql(
        gateway, lab, None,
        """{ brainRegions(where: {parentId: {eq: 385}}, orderBy: [{field: ID}]) { id acronym level }
             brainRegion(id: 382) { name parentId rgb } }""",
    )  # fmt: skip
    assert [r["acronym"] for r in data["brainRegions"]] == [
        "VISp6a", "VISp6b", "VISp1", "VISp4", "VISp5", "VISp2/3"
    ]  # fmt: skip
    assert {r["level"] for r in data["brainRegions"]} == {8}
    assert data["brainRegion"] == {"name": "Field CA1", "parentId": 375, "rgb": "7ED04B"}
    query = """{ probeInsertions { name session { name }
                   trajectories { provenance depth } } }"""
    member = await graphql(gateway, lab, "alice", query)
    assert member["probeInsertions"] == [
        {
            "name": "probe00",
            "session": {"name": "secret_run"},
            "trajectories": [{"provenance": 10, "depth": 4000.0}],
        }
    ]
    assert (await graphql(gateway, lab, "mallory", query))["probeInsertions"] == []


async def test_graphql_writes_regions_for_administrators_only(gateway: Gateway, lab: Lab) -> None:
    create = """mutation { createBrainRegion(input: {name: "Claustrum 2", acronym: "CLA2",
                  atlas: PW1997}) {
                  __typename ... on BrainRegion { id atlas name level parentId } } }"""
    refused = await graphql(gateway, lab, "alice", create)
    assert refused["createBrainRegion"]["__typename"] == "PermissionDeniedError"
    made = (await graphql(gateway, lab, "ada", create))["createBrainRegion"]
    assert made == {
        "__typename": "BrainRegion",
        "id": max(r.id for r in brain_regions()) + 1,
        "atlas": "PW1997",
        "name": "Claustrum 2",
        "level": 0,
        "parentId": None,
    }
    delete = f'mutation {{ deleteBrainRegion(id: "{made["id"]}") {{ __typename }} }}'
    assert (await graphql(gateway, lab, "alice", delete))["deleteBrainRegion"] == {
        "__typename": "PermissionDeniedError"
    }
    deleted = (await graphql(gateway, lab, "ada", delete))["deleteBrainRegion"]
    assert deleted == {"__typename": "Done"}
    found = await graphql(gateway, lab, None, f"{{ brainRegion(id: {made['id']}) {{ id }} }}")
    assert found["brainRegion"] is None
