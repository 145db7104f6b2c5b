"""BrainSTEM's personal attributes (setups, behavioral assays, data storages, inventories)
and the reference records they point at (setup types, behavioral categories and paradigms,
suppliers, hardware devices): an owner's own records, seen by others once public, changed
by their owner only; reference records seen by everyone and not written here."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    BehavioralCategory,
    BehavioralParadigm,
    HardwareDevice,
    Setup,
    SetupType,
    Supplier,
)
from tests.conftest import Gateway
from tests.factories import build
from tests.rest.brainstem.modules import arrange_modules
from tests.rest.brainstem.support import Caller, Lab, arrange

REFERENCES = {
    "setuptype": ("taxonomies", "setup_types", "Linear track"),
    "behavioralcategory": ("taxonomies", "behavioral_categories", "Decision making"),
    "behavioralparadigm": ("taxonomies", "behavioral_paradigms", "2AFC"),
    "supplier": ("resources", "suppliers", "Neuronexus"),
    "hardwaredevice": ("resources", "hardware_devices", "Intan RHD2164"),
}
SETUPS = "/api/private/personal_attributes/setup/"


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)

    async def recipe(world: Any) -> None:
        track = await world.add(SetupType(name="Linear track"))
        category = await world.add(BehavioralCategory(name="Decision making"))
        await world.add(BehavioralParadigm(name="2AFC", category_id=category.id))
        supplier = await world.add(Supplier(name="Neuronexus"))
        device = await world.add(HardwareDevice(name="Intan RHD2164", supplier_id=supplier.id))
        mine = await world.add(
            Setup(name="alice rig", setup_type_id=track.id, user_id=lab.users["alice"])
        )
        shared = await world.add(
            Setup(
                name="mallory rig",
                setup_type_id=track.id,
                user_id=lab.users["mallory"],
                is_public=True,
            )
        )
        lab.ids.update(
            track=str(track.id),
            device=str(device.id),
            alice_rig=str(mine.id),
            mallory_rig=str(shared.id),
        )

    await build(sessionmaker, recipe)
    return lab


@pytest.fixture
def bs(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)


@pytest.mark.parametrize("model", sorted(REFERENCES))
async def test_reference_records_are_listed_to_everyone_and_written_through_approval(
    bs: Caller, model: str
) -> None:
    app, plural, name = REFERENCES[model]
    body = await bs.ok("GET", f"/api/public/{app}/{model}/")
    assert [r["name"] for r in body[plural]] == [name] and body["count"] == 1
    response = await bs("POST", f"/api/private/{app}/{model}/", "eve", json={"name": "x"})
    if model == "hardwaredevice":  # its supplier is required
        assert response.status_code == 400 and "supplier" in response.json()
        return
    assert response.status_code == 201, response.text
    (key,) = response.json()
    assert key.endswith("_approval") and response.json()[key]["status"] == "Pending"
    body = await bs.ok("GET", f"/api/public/{app}/{model}/")
    assert [r["name"] for r in body[plural]] == [name]


async def test_an_owner_creates_changes_and_deletes_a_setup_others_see_it_once_public(
    bs: Caller, lab: Lab
) -> None:
    body = {
        "name": "new rig",
        "setup_type": lab.ids["track"],
        "hardware_devices": [lab.ids["device"]],
        "specifications": [{"screen": "60 Hz"}],
    }
    created = await bs("POST", SETUPS, "eve", json=body)
    assert created.status_code == 201, created.text
    record = created.json()["setup"]
    assert record["user"] == lab.users["eve"] and record["is_public"] is False
    assert record["hardware_devices"] == [lab.ids["device"]]
    url = f"{SETUPS}{record['id']}/"
    assert (await bs("GET", url, "alice")).status_code == 404
    assert (await bs("PATCH", url, "alice", json={"name": "mine"})).status_code == 404
    published = await bs.ok("PATCH", url, "eve", json={"is_public": True})
    assert published["setup"]["is_public"] is True
    assert (await bs.ok("GET", url, "alice"))["setup"]["name"] == "new rig"
    assert (await bs("PATCH", url, "alice", json={"name": "mine"})).status_code == 403
    # The owner is who created it: ``user`` is read-only, ignored in a body (as DRF does).
    kept = await bs.ok("PATCH", url, "eve", json={"user": lab.users["alice"]})
    assert kept["setup"]["user"] == lab.users["eve"]
    assert (await bs("DELETE", url, "alice")).status_code == 403
    assert (await bs("DELETE", url, "eve")).status_code == 204


async def test_each_caller_lists_their_own_and_the_public_setups(bs: Caller, lab: Lab) -> None:
    def names(body: Any) -> list[str]:
        return [r["name"] for r in body["setups"]]

    assert names(await bs.ok("GET", SETUPS, "alice")) == ["alice rig", "mallory rig"]
    assert names(await bs.ok("GET", SETUPS, "eve")) == ["mallory rig"]
    public = await bs.ok("GET", "/api/public/personal_attributes/setup/")
    assert names(public) == ["mallory rig"]


async def test_a_behavior_names_a_setup_its_writer_may_see(bs: Caller, lab: Lab) -> None:
    url = f"/api/private/modules/behavior/{lab.ids['behavior@secret_project']}/"
    hidden = await bs("PATCH", url, "eve", json={"setup": lab.ids["alice_rig"]})
    assert hidden.status_code == 400 and list(hidden.json()) == ["setup"]
    shown = await bs.ok("PATCH", url, "eve", json={"setup": lab.ids["mallory_rig"]})
    assert shown["behavior"]["setup"] == lab.ids["mallory_rig"]
    rig = await bs.ok(
        "GET", f"{SETUPS}{lab.ids['mallory_rig']}/?include[]=behaviors.*", "mallory"
    )
    # mallory owns the rig but not the secret project: the behavior stays hidden from her.
    assert rig["setup"]["behaviors"] == []
    rig = await bs.ok("GET", f"{SETUPS}{lab.ids['mallory_rig']}/", "alice")
    assert rig["setup"]["behaviors"] == [lab.ids["behavior@secret_project"]]
