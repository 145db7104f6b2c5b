"""The demo data set's publishing side, as the BrainSTEM shim shows it anonymously: a
publication in a journal, reporting on the public project of the two it is linked to, a
regulatory authority, and a behavioral category under another."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.demo import seed_demo
from gateway.settings import Settings
from gateway.storage import Storage
from tests.conftest import Gateway


async def test_the_demo_has_a_publication_in_a_journal_and_a_regulatory_authority(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()

    async def get(path: str) -> dict:  # type: ignore[type-arg]
        response = await gateway.client.get(f"/api/public/{path}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    (paper,) = (await get("dissemination/publication/?include[]=journal"))["publications"]
    assert paper["journal"]["name"] == "Neuron"
    projects = await get(f"stem/project/?filter{{publications.id}}={paper['id']}")
    assert [p["name"] for p in projects["projects"]] == ["ibl_neuropixels_brainwide"]
    assert len(paper["projects"]) == 1
    (office,) = (await get("taxonomies/regulatoryauthority/"))["regulatoryauthorities"]
    assert (office["abbreviation"], office["country"]) == ("HO", "GB")
    tree = await get("taxonomies/behavioralcategory/?include[]=parent")
    parents = {c["name"]: c["parent"] for c in tree["behavioral_categories"]}
    assert parents["Perceptual decisions"]["name"] == "Decision making"
