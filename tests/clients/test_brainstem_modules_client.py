"""The real ``brainstem-python-api-tools`` 2.0.0 client on BrainSTEM's module models and
collections, against a live gateway: ``load`` of each with its envelope, the ``load_*``
helpers' default includes embedding records, a save / load / change / delete round trip (by
an owner for equipment, consumable stocks, licenses and protocols), and a ``details`` that
breaks its schema refused with the path."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from brainstem_api_tools import brainstem_api_client
from brainstem_api_tools.brainstem_api_client import BrainstemClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import BehavioralParadigm
from gateway.db.models.experiments import Cohort, CohortSubject
from gateway.rest.brainstem.models import MODELS as BRAINSTEM
from gateway.settings import Settings
from tests.clients.test_brainstem_client import Live, run
from tests.clients.test_brainstem_client import home as home
from tests.factories import build
from tests.live import serve
from tests.rest.brainstem.holdings import OWNED, arrange_holdings, new_owned
from tests.rest.brainstem.modules import CHANGE, MODELS, arrange_modules, new_record
from tests.rest.brainstem.support import arrange


@pytest.fixture
async def live(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], home: Path
) -> AsyncIterator[Live]:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    await arrange_holdings(sessionmaker, lab)

    async def references(world: Any) -> None:
        paradigm = await world.add(BehavioralParadigm(name="2AFC"))
        lab.ids.update(paradigm=str(paradigm.id))
        for project, subject in (("open_project", "M001"), ("secret_project", "M002")):
            cohort = await world.add(
                Cohort(name=f"{project} cohort", project_id=uuid.UUID(lab.ids[project]))
            )
            await world.add(
                CohortSubject(cohort_id=cohort.id, subject_id=uuid.UUID(lab.ids[subject]))
            )

    await build(sessionmaker, references)
    with serve(create_app(settings)) as url:
        yield Live(url, lab)
    assert not any(home.rglob("*")), "the client wrote into HOME"


async def test_load_answers_each_model_in_its_envelope(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        for model in MODELS:
            listed = client.load(model, load_all=True)
            plural = BRAINSTEM[model].plural
            assert {r["id"] for r in listed[plural]} == {
                ids[f"{model}@open_project"],
                ids[f"{model}@secret_project"],
            }, model
            one = client.load(model, id=ids[f"{model}@secret_project"])
            assert one.status_code == 200, one.text
            assert list(one.json()) == [BRAINSTEM[model].singular]
        public = client.load("behavior", portal="public").json()["behaviors"]
        assert [r["id"] for r in public] == [ids["behavior@open_project"]]

    await run(scenario)


async def test_the_load_helpers_default_includes_embed_the_records(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        # The client sends include[] with lists only (a load by id sends no parameters).
        (session,) = client.load_session(name="secret_run", load_all=True)["sessions"]
        assert [b["id"] for b in session["behaviors"]] == [ids["behavior@secret_project"]]
        assert session["behaviors"][0]["subjects"] == [ids["M002"]]
        assert session["dataacquisition"][0]["type"] == "ExtracellularEphys"
        assert session["manipulations"][0]["details"][0]["profile"] == "Pulse train"
        assert session["epochs"] == []
        by_id = client.load_session(id=ids["secret_run"]).json()["session"]
        assert by_id["behaviors"] == [ids["behavior@secret_project"]]
        (subject,) = client.load_subject(filters={"name": "M002"}, load_all=True)["subjects"]
        assert [p["type"] for p in subject["procedures"]] == ["SiliconProbeImplant"]
        assert subject["subjectlogs"][0]["details"]["weight"]["unit"] == "g"
        (project,) = client.load_project(name="open_project", load_all=True)["projects"]
        assert [c["name"] for c in project["collections"]] == ["open_project firsts"]
        assert project["collections"][0]["sessions"] == [ids["open_morning"]]
        assert {s["name"] for s in project["sessions"]} >= {"open_morning", "open_evening"}
        assert {s["name"] for s in project["subjects"]} == {"M001", "M002"}
        (collection,) = client.load_collection(name="open_project", load_all=True)["collections"]
        assert [s["name"] for s in collection["sessions"]] == ["open_morning"]
        cohorts = client.load_cohort(load_all=True)["cohorts"]
        assert {c["name"]: [s["name"] for s in c["subjects"]] for c in cohorts} == {
            "open_project cohort": ["M001"],
            "secret_project cohort": ["M002"],
        }

    await run(scenario)


async def test_save_load_change_and_delete_each_model(live: Live) -> None:
    def scenario() -> None:
        client: BrainstemClient = live.client("eve")
        for model in MODELS:
            singular = BRAINSTEM[model].singular
            body = new_record(model, live.lab)
            created = client.save(model, data=body)
            assert created.status_code == 201, (model, created.text)
            key = created.json()[singular]["id"]
            assert client.load(model, id=key).json()[singular] == created.json()[singular]
            field, value = CHANGE[model]
            changed = client.save(model, id=key, data={field: value})
            assert changed.status_code == 200 and changed.json()[singular][field] == value
            assert client.delete(model, id=key).status_code == 204
            assert client.load(model, id=key).status_code == 404

    await run(scenario)


async def test_details_breaking_their_schema_are_refused_with_the_path(live: Live) -> None:
    def scenario() -> None:
        client = live.client("eve")
        body = {**new_record("subjectlog", live.lab), "details": {"weight": {"value": "heavy"}}}
        response = client.save("subjectlog", data=body)
        assert response.status_code == 400
        (message,) = response.json()["details"]
        assert message.startswith("details.weight.value:")
        listed = client.load("subjectlog", filters={"description": "evening weight"}).json()
        assert listed["subject_logs"] == []
        owner = live.client("alice")
        body = {**new_owned("equipment", live.lab), "details": {}, "type": "Laser"}
        body["coordinates_details"] = {"zAngle": {"value": 10, "unit": "rad"}}
        response = owner.save("equipment", data=body)
        assert response.status_code == 400
        (message,) = response.json()["coordinates_details"]
        assert message.startswith("coordinates_details.zAngle.unit:")
        body = {**new_owned("consumablestock", live.lab), "details": {"quantity": "many"}}
        response = owner.save("consumablestock", data=body)
        assert response.status_code == 400
        assert response.json()["details"][0].startswith("details.quantity:")
        log = new_record("procedurelog", live.lab)
        log["entries"] = [{"date_time": "2026-03-03T09:00:00Z", "details": {"impedances": []}}]
        response = client.save("procedurelog", data=log)
        assert response.status_code == 400
        assert response.json()["entries"][0].startswith("entries[0].details.impedances:")
        assert len(owner.load("equipment", load_all=True)["equipment"]) == 2

    await run(scenario)


# The models of the client's table the gateway serves: all 41 of them.
SERVED = {
    "brainregion",
    "project", "subject", "session", "collection", "cohort", "breeding",
    "project_membership_invitation", "project_group_membership_invitation",
    "procedure", "behavior", "dataacquisition", "manipulation", "subjectlog",
    "equipment", "consumablestock", "procedurelog",
    "behavioralassay", "datastorage", "inventory", "setup", "license", "protocol",
    "consumable", "hardwaredevice", "supplier",
    "behavioralcategory", "behavioralparadigm", "setuptype", "species", "strain",
    "regulatoryauthority", "strainapproval",
    "journal", "journalapproval", "publication",
    "user", "group", "group_membership_invitation", "group_membership_request", "laboratory",
}  # fmt: skip


async def test_load_of_every_model_in_the_clients_table(live: Live) -> None:
    def scenario() -> None:
        client = live.client("alice")
        served = set()
        for model in brainstem_api_client._MODEL_TO_APP:
            response = client.load(model, limit=5)
            if response.status_code == 404:
                continue
            assert response.status_code == 200, (model, response.text)
            body = response.json()
            assert list(body) == [BRAINSTEM[model].plural, "count", "next", "previous"], model
            served.add(model)
        assert served == SERVED
        assert len(brainstem_api_client._MODEL_TO_APP) == 41

    await run(scenario)


async def test_an_owner_saves_changes_and_deletes_personal_attributes(live: Live) -> None:
    ids = live.lab.ids
    bodies = {
        "setup": {"name": "rig", "setup_type": ids["track"]},
        "behavioralassay": {
            "name": "2AFC on the track",
            "setup_type": ids["track"],
            "behavioral_paradigm": ids["paradigm"],
        },
        "datastorage": {"name": "server", "data_organization": {"layout": "by session"}},
        "inventory": {"name": "fridge", "location": "Room 2"},
    }

    def scenario() -> None:
        owner, other = live.client("vic"), live.client("mallory")
        for model, body in bodies.items():
            singular = BRAINSTEM[model].singular
            created = owner.save(model, data=body)
            assert created.status_code == 201, (model, created.text)
            record = created.json()[singular]
            assert record["user"] == live.lab.users["vic"]
            assert other.load(model, id=record["id"]).status_code == 404
            changed = owner.save(model, id=record["id"], data={"is_public": True})
            assert changed.json()[singular]["is_public"] is True
            assert other.load(model, id=record["id"]).status_code == 200
            assert other.delete(model, id=record["id"]).status_code == 403
            assert owner.delete(model, id=record["id"]).status_code == 204

    await run(scenario)


async def test_an_owner_loads_saves_changes_and_deletes_owned_records(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        owner, other = live.client("alice"), live.client("mallory")
        for model in sorted(OWNED):
            plural, singular = BRAINSTEM[model].plural, BRAINSTEM[model].singular
            listed = owner.load(model, load_all=True)[plural]
            assert {r["id"] for r in listed} == {ids[f"{model}@private"], ids[f"{model}@public"]}
            seen = other.load(model, load_all=True)[plural]
            assert [r["id"] for r in seen] == [ids[f"{model}@public"]], model
            public = other.load(model, portal="public").json()[plural]
            assert [r["id"] for r in public] == [ids[f"{model}@public"]], model
            created = owner.save(model, data=new_owned(model, live.lab))
            assert created.status_code == 201, (model, created.text)
            record = created.json()[singular]
            assert owner.load(model, id=record["id"]).json()[singular] == record
            field, value = OWNED[model][2]
            changed = owner.save(model, id=record["id"], data={field: value})
            assert changed.status_code == 200 and changed.json()[singular][field] == value
            assert other.save(model, id=record["id"], data={field: value}).status_code == 404
            assert owner.delete(model, id=record["id"]).status_code == 204
            assert owner.load(model, id=record["id"]).status_code == 404
        (consumable,) = owner.load("consumable", load_all=True)["consumables"]
        assert consumable["id"] == ids["consumable"] and consumable["type"] == "SiliconProbeDesign"

    await run(scenario)
