"""The real ``brainstem-python-api-tools`` 2.0.0 client on the models BrainSTEM changes through
reviewed proposals (its taxonomies, resources and journals) and on publications, against a
live gateway: ``load`` answers in each model's envelope, a proposal is the approval and
changes nothing until a reviewer accepts it, administrators alone delete, and a publication's
projects are only those the caller may see, on either portal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import (
    BehavioralCategory,
    Journal,
    ProjectPublication,
    Publication,
    RegulatoryAuthority,
    SetupType,
    Supplier,
)
from gateway.rest.brainstem.models import MODELS as BRAINSTEM
from gateway.settings import Settings
from tests.clients.test_brainstem_client import Live, run
from tests.clients.test_brainstem_client import home as home
from tests.factories import build
from tests.live import serve
from tests.rest.brainstem.support import arrange


@pytest.fixture
async def live(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], home: Path
) -> AsyncIterator[Live]:
    lab = await arrange(sessionmaker)

    async def records(world: Any) -> None:
        elife = await world.add(Journal(name="eLife", website="https://elifesciences.org"))
        paper = await world.add(
            Publication(
                title="Theta sequences in the septum",
                authors="Petersen PC, Buzsaki G",
                journal_id=elife.id,
                abstract="Cooling the medial septum slows theta.",
                publication_date=date(2020, 6, 10),
                user_id=lab.users["alice"],
            )
        )
        for project in ("open_project", "secret_project"):
            await world.add(
                ProjectPublication(project_id=uuid.UUID(lab.ids[project]), publication_id=paper.id)
            )
        office = await world.add(
            RegulatoryAuthority(
                name="Home Office", abbreviation="HO", country="GB", authority_type="national"
            )
        )
        memory = await world.add(BehavioralCategory(name="Learning & Memory"))
        spatial = await world.add(BehavioralCategory(name="Spatial Learning", parent_id=memory.id))
        track = await world.add(SetupType(name="Linear track", category="M"))
        thorlabs = await world.add(Supplier(name="Thorlabs"))
        lab.ids.update(
            elife=str(elife.id),
            paper=str(paper.id),
            office=str(office.id),
            memory=str(memory.id),
            spatial=str(spatial.id),
            track=str(track.id),
            thorlabs=str(thorlabs.id),
        )

    await build(sessionmaker, records)
    with serve(create_app(settings)) as url:
        yield Live(url, lab)
    assert not any(home.rglob("*")), "the client wrote into HOME"


def _review(live: Live, model: str, approval_id: str, decision: str, who: str = "rita") -> Any:
    """Accept or reject over plain HTTP, as the client's table lacks most ``*approval``
    models (2.0.0 knows ``strainapproval`` and ``journalapproval`` only)."""
    app = BRAINSTEM[model].apps
    (app_name,) = app
    response = httpx.patch(
        f"{live.url}/api/private/{app_name}/{model}approval/{approval_id}/{decision}/",
        headers={"Authorization": f"Bearer {live.lab.tokens[who]}"},
    )
    return response


async def test_load_answers_each_new_model_in_its_envelope(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        expected = {"regulatoryauthority": "office", "journal": "elife", "publication": "paper"}
        for model, name in expected.items():
            listed = client.load(model)
            assert listed.status_code == 200, listed.text
            body = listed.json()
            assert list(body) == [BRAINSTEM[model].plural, "count", "next", "previous"]
            assert [r["id"] for r in body[BRAINSTEM[model].plural]] == [ids[name]]
            one = client.load(model, id=ids[name]).json()
            assert list(one) == [BRAINSTEM[model].singular]
        office = client.load("regulatoryauthority", id=ids["office"]).json()["regulatoryauthority"]
        assert office.keys() >= {"created_at", "updated_at"}
        assert {k: v for k, v in office.items() if not k.endswith("_at")} == {
            "id": ids["office"],
            "name": "Home Office",
            "description": "",
            "abbreviation": "HO",
            "country": "GB",
            "authority_type": "national",
            "website": "",
            "is_active": True,
        }
        paper = client.load("publication", id=ids["paper"]).json()["publication"]
        assert paper["journal"] == ids["elife"] and paper["publication_date"] == "2020-06-10"
        assert set(paper["projects"]) == {ids["open_project"], ids["secret_project"]}
        with_journal = client.load("publication", include=["journal"]).json()["publications"]
        assert with_journal[0]["journal"]["name"] == "eLife"
        approvals = client.load("journalapproval").json()
        assert list(approvals) == ["journal_approvals", "count", "next", "previous"]
        categories = client.load("behavioralcategory", sort=["name"]).json()
        assert [(c["name"], c["parent"]) for c in categories["behavioral_categories"]] == [
            ("Learning & Memory", None),
            ("Spatial Learning", ids["memory"]),
        ]

    await run(scenario)


async def test_a_journal_goes_through_approval_and_only_admins_delete_it(live: Live) -> None:
    def scenario() -> None:
        eve, rita, ada = live.client("eve"), live.client("rita"), live.client("ada")
        proposed = eve.save(
            "journal",
            data={"name": "Neuron", "website": "https://cell.com/neuron", "comments": "new"},
        )
        assert proposed.status_code == 201, proposed.text
        approval = proposed.json()["journal_approval"]
        assert approval["status"] == "Pending" and approval["action"] == "Add"
        assert approval["name"] == "Neuron" and approval["instance_id"] is None
        assert eve.load("journal", filters={"name": "Neuron"}).json()["journals"] == []
        mine = eve.load("journalapproval").json()["journal_approvals"]
        assert [a["id"] for a in mine] == [approval["id"]]

        refused = eve.save("journalapproval", id=approval["id"], options="accept")
        assert refused.status_code == 403
        accepted = rita.save("journalapproval", id=approval["id"], options="accept")
        assert accepted.status_code == 200, accepted.text
        key = accepted.json()["journal_approval"]["instance_id"]
        assert eve.load("journal", id=key).json()["journal"]["website"] == "https://cell.com/neuron"

        change = eve.save("journal", id=key, data={"description": "Cell Press"})
        assert change.status_code == 200, change.text
        changing = change.json()["journal_approval"]
        assert changing["action"] == "Change" and changing["instance_id"] == key
        assert changing["name"] == "Neuron" and changing["description"] == "Cell Press"
        assert eve.load("journal", id=key).json()["journal"]["description"] == ""
        rita.save("journalapproval", id=changing["id"], options="accept")
        assert eve.load("journal", id=key).json()["journal"]["description"] == "Cell Press"

        assert eve.delete("journal", id=key).status_code == 403
        assert ada.delete("journal", id=key).status_code == 204
        assert eve.load("journal", id=key).status_code == 404

    await run(scenario)


# A proposal of each taxonomy and resource model, and a change to propose afterwards.
PROPOSALS: dict[str, tuple[dict[str, Any], tuple[str, Any]]] = {
    "regulatoryauthority": (
        {"name": "Animal Ethics Committee", "country": "AU", "authority_type": "institutional"},
        ("is_active", False),
    ),
    "setuptype": ({"name": "Open field", "category": "M"}, ("description", "A square arena")),
    "behavioralcategory": ({"name": "Motor Function"}, ("description", "Coordination")),
    "behavioralparadigm": ({"name": "T-maze alternation"}, ("rrid", "RRID:SCR_1")),
    "supplier": ({"name": "NeuroNexus", "website": "https://neuronexus.com"}, ("website", "")),
    "hardwaredevice": ({"name": "Intan RHD2000"}, ("description", "An amplifier")),
    "consumable": (
        {"name": "Fiber 200um", "type": "OpticFiberDesign", "details": {"coreDiameter": 200}},
        ("comments", "Cleaved flat"),
    ),
}


async def test_each_taxonomy_and_resource_round_trips_through_approval(live: Live) -> None:
    ids = live.lab.ids
    related = {
        "behavioralcategory": {"parent": ids["memory"]},
        "behavioralparadigm": {"category": ids["spatial"]},
        "hardwaredevice": {"supplier": ids["thorlabs"]},
        "consumable": {"supplier": ids["thorlabs"]},
    }

    def scenario() -> None:
        eve, ada = live.client("eve"), live.client("ada")
        for model, (body, (field, value)) in PROPOSALS.items():
            singular = BRAINSTEM[model].singular
            proposed = eve.save(model, data={**body, **related.get(model, {})})
            assert proposed.status_code == 201, (model, proposed.text)
            approval = proposed.json()[f"{singular}_approval"]
            assert approval["status"] == "Pending", model
            if model == "regulatoryauthority":  # as the record will be: active by default
                assert approval["is_active"] is True and approval["website"] == ""
            listed = eve.load(model, filters={"name": body["name"]}).json()
            assert listed[BRAINSTEM[model].plural] == [], model
            accepted = _review(live, model, approval["id"], "accept")
            assert accepted.status_code == 200, (model, accepted.text)
            key = accepted.json()[f"{singular}_approval"]["instance_id"]
            record = eve.load(model, id=key).json()[singular]
            for name, given in {**body, **related.get(model, {})}.items():
                assert record[name] == given, (model, name)
            change = eve.save(model, id=key, data={field: value})
            assert change.status_code == 200, (model, change.text)
            rejected = _review(live, model, change.json()[f"{singular}_approval"]["id"], "reject")
            assert rejected.json()[f"{singular}_approval"]["status"] == "Rejected"
            assert eve.load(model, id=key).json()[singular][field] != value, model
            assert eve.delete(model, id=key).status_code == 403, model
            assert ada.delete(model, id=key).status_code == 204, model
            assert eve.load(model, id=key).status_code == 404, model

    await run(scenario)


async def test_a_proposal_that_breaks_a_rule_is_refused_and_files_nothing(live: Live) -> None:
    def scenario() -> None:
        eve, rita = live.client("eve"), live.client("rita")
        bad = eve.save("regulatoryauthority", data={"name": "X", "authority_type": "galactic"})
        assert bad.status_code == 400
        assert "authority_type" in bad.json()
        taken = eve.save("journal", data={"name": "eLife"})
        assert taken.status_code == 400 and "name" in taken.json()
        unknown = eve.save("hardwaredevice", data={"name": "Amp", "supplier": str(uuid.uuid4())})
        assert unknown.status_code == 400 and "supplier" in unknown.json()
        assert rita.load("journalapproval").json()["journal_approvals"] == []

    await run(scenario)


async def test_a_publication_is_changed_by_who_added_it(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        eve, mallory = live.client("eve"), live.client("mallory")
        body = {
            "title": "MyNewPaper",
            "authors": "Me et al.",
            "journal": ids["elife"],
            "abstract": "Short explanation of the paper",
            "doi": "",
            "publication_url": "",
            "pdf_url": "",
            "publication_date": "1970-01-01",
            "projects": [ids["secret_project"]],
        }
        created = eve.save("publication", data=body)
        assert created.status_code == 201, created.text
        record = created.json()["publication"]
        assert record["journal"] == ids["elife"] and record["projects"] == [ids["secret_project"]]
        key = record["id"]
        assert eve.load("publication", id=key).json()["publication"] == record
        changed = eve.save("publication", id=key, data={"abstract": "new text"})
        assert changed.status_code == 200
        assert changed.json()["publication"]["abstract"] == "new text"
        assert mallory.load("publication", id=key).json()["publication"]["projects"] == []
        assert mallory.save("publication", id=key, data={"abstract": "x"}).status_code == 403
        assert mallory.delete("publication", id=key).status_code == 403
        missing = eve.save("publication", data={**body, "journal": None})
        assert missing.status_code == 400 and "journal" in missing.json()
        assert eve.delete("publication", id=key).status_code == 204
        assert eve.load("publication", id=key).status_code == 404

    await run(scenario)


async def test_a_publications_projects_are_those_the_caller_may_see_on_each_portal(
    live: Live,
) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        alice, mallory = live.client("alice"), live.client("mallory")
        for client, portal, seen in (
            (alice, "private", {"open_project", "secret_project"}),
            (alice, "public", {"open_project"}),
            (mallory, "private", {"open_project"}),
        ):
            paper = client.load("publication", id=ids["paper"], portal=portal).json()
            assert set(paper["publication"]["projects"]) == {ids[p] for p in seen}, portal
        (project,) = mallory.load("project", filters={"name": "open_project"}).json()["projects"]
        assert project["publications"] == [ids["paper"]]
        included = alice.load(
            "project", filters={"name": "secret_project"}, include=["publications"]
        )
        (secret,) = included.json()["projects"]
        assert [p["title"] for p in secret["publications"]] == ["Theta sequences in the septum"]
        public = alice.load("journal", portal="public").json()["journals"]
        assert [j["name"] for j in public] == ["eLife"]
        assert alice.save("journal", portal="public", data={"name": "X"}).status_code == 405

    await run(scenario)
