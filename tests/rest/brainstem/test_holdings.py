"""BrainSTEM's equipment, consumable stocks, licenses and protocols (their owner's, seen by
others once public, through the setup or inventory they belong to), consumables (seen by
everyone, not written here), procedure logs' entries checked against the schema of their
type, and the consumable, hardware device and protocol a procedure names."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import ConsumableStock, Equipment, ProcedureLog, table
from gateway.rest.brainstem.models import MODELS as BRAINSTEM
from tests.conftest import Gateway
from tests.rest.brainstem.holdings import OWNED, arrange_holdings, new_owned, owned_url
from tests.rest.brainstem.modules import arrange_modules, new_record, url
from tests.rest.brainstem.support import Caller, Lab, arrange


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    await arrange_holdings(sessionmaker, lab)
    return lab


@pytest.fixture
def bs(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)


async def _count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        query = select(func.count()).select_from(table(model))
        return int((await session.execute(query)).scalar_one())


@pytest.mark.parametrize("model", sorted(OWNED))
async def test_the_owner_lists_both_others_only_the_public_one(
    bs: Caller, lab: Lab, model: str
) -> None:
    plural = BRAINSTEM[model].plural
    private, public = lab.ids[f"{model}@private"], lab.ids[f"{model}@public"]
    body = await bs.ok("GET", owned_url(model), "alice")
    assert list(body) == [plural, "count", "next", "previous"]
    assert {r["id"] for r in body[plural]} == {private, public}
    for who, portal in (("mallory", "private"), (None, "public")):
        body = await bs.ok("GET", owned_url(model, portal=portal), who)
        assert [r["id"] for r in body[plural]] == [public], (who, model)
        assert (await bs("GET", owned_url(model, private, portal), who)).status_code == 404


@pytest.mark.parametrize("model", sorted(OWNED))
async def test_an_owner_creates_reads_changes_replaces_and_deletes(
    bs: Caller, lab: Lab, model: str
) -> None:
    singular = BRAINSTEM[model].singular
    body = new_owned(model, lab)
    created = await bs("POST", owned_url(model), "alice", json=body)
    assert created.status_code == 201, created.text
    record = created.json()[singular]
    for name, value in body.items():
        assert record[name] == value, name
    key = record["id"]
    assert (await bs.ok("GET", owned_url(model, key), "alice"))[singular] == record
    field, value = OWNED[model][2]
    changed = await bs.ok("PATCH", owned_url(model, key), "alice", json={field: value})
    assert changed[singular][field] == value
    replaced = await bs.ok("PUT", owned_url(model, key), "alice", json=body)
    assert replaced[singular][field] == record[field]
    deleted = await bs("DELETE", owned_url(model, key), "alice")
    assert deleted.status_code == 204
    assert (await bs("GET", owned_url(model, key), "alice")).status_code == 404


@pytest.mark.parametrize("model", sorted(OWNED))
async def test_others_may_not_write_an_owners_records(bs: Caller, lab: Lab, model: str) -> None:
    field, value = OWNED[model][2]
    public, private = lab.ids[f"{model}@public"], lab.ids[f"{model}@private"]
    patch = {field: value}
    assert (await bs("PATCH", owned_url(model, public), "mallory", json=patch)).status_code == 403
    assert (await bs("DELETE", owned_url(model, public), "mallory")).status_code == 403
    assert (await bs("PATCH", owned_url(model, private), "mallory", json=patch)).status_code == 404
    if model in ("equipment", "consumablestock"):
        # Onto a setup or inventory of someone else's: refused, public or not.
        body = new_owned(model, lab, "public")
        assert (await bs("POST", owned_url(model), "mallory", json=body)).status_code == 403
        body = new_owned(model, lab, "private")
        response = await bs("POST", owned_url(model), "mallory", json=body)
        assert response.status_code == 400 and "does not exist" in response.text
    assert (await bs("POST", owned_url(model), None, json=new_owned(model, lab))).status_code in (
        401,
        403,
    )


async def test_details_breaking_their_schema_are_refused_with_the_path(
    bs: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    equipment = {**new_owned("equipment", lab), "coordinates_details": {"x": {"value": "far"}}}
    response = await bs("POST", owned_url("equipment"), "alice", json=equipment)
    assert response.status_code == 400
    assert "coordinates_details.x.value" in response.json()["coordinates_details"][0]
    response = await bs(
        "POST", owned_url("equipment"), "alice", json={**new_owned("equipment", lab), "type": "X"}
    )
    assert response.status_code == 400 and list(response.json()) == ["type"]
    stock = {**new_owned("consumablestock", lab), "details": {"quantity": -1}}
    response = await bs("POST", owned_url("consumablestock"), "alice", json=stock)
    assert response.status_code == 400 and "details.quantity" in response.text
    log = new_record("procedurelog", lab)
    log["entries"] = [*log["entries"], {"date_time": "2026-03-03T09:00:00Z", "details": {}}]
    response = await bs("POST", url("procedurelog"), "eve", json=log)
    assert response.status_code == 400
    (message,) = response.json()["entries"]
    assert message.startswith("entries[1].details:") and "impedances" in message
    undated = {**log, "entries": [{"details": {"impedances": [1.0]}}]}
    response = await bs("POST", url("procedurelog"), "eve", json=undated)
    assert response.status_code == 400 and "date_time" in response.text
    assert await _count(sessionmaker, Equipment) == 2
    assert await _count(sessionmaker, ConsumableStock) == 2
    assert await _count(sessionmaker, ProcedureLog) == 3  # the refused writes left nothing


async def test_a_change_of_type_checks_the_stored_entries(bs: Caller, lab: Lab) -> None:
    key = lab.ids["procedurelog@secret_project"]
    response = await bs(
        "PATCH", url("procedurelog", key), "eve", json={"type": "LinearDisplacement"}
    )
    assert response.status_code == 400 and "displacement" in response.text
    entry = {"date_time": "2026-03-04T08:00:00Z", "details": {"displacement": {"value": 40}}}
    changed = await bs.ok(
        "PATCH",
        url("procedurelog", key),
        "eve",
        json={"type": "LinearDisplacement", "entries": [entry]},
    )
    assert changed["procedure_log"]["entries"] == [entry]
    assert changed["procedure_log"]["type_schema_version"] != ""


async def test_consumables_are_listed_to_everyone_and_proposed_through_approval(
    bs: Caller, lab: Lab
) -> None:
    body = await bs.ok("GET", "/api/public/resources/consumable/?include[]=supplier.*")
    (consumable,) = body["consumables"]
    assert consumable["name"] == "ASSY-77 H3" and consumable["type"] == "SiliconProbeDesign"
    assert consumable["supplier"]["name"] == "Cambridge NeuroTech"
    supplier = consumable["supplier"]["id"]
    url = "/api/private/resources/consumable/"
    proposal = {"name": "x", "supplier": supplier, "type": "VirusConstruct"}
    filed = await bs("POST", url, "ada", json=proposal)
    assert filed.status_code == 201, filed.text
    assert filed.json()["consumable_approval"]["status"] == "Pending"
    unsupplied = {"name": "y", "type": "VirusConstruct"}
    for bad, field in (({**proposal, "type": "Glue"}, "type"), (unsupplied, "supplier")):
        refused = await bs("POST", url, "ada", json=bad)
        assert refused.status_code == 400 and field in refused.text, refused.text
    listed = await bs.ok("GET", "/api/public/resources/consumable/")
    assert [c["name"] for c in listed["consumables"]] == ["ASSY-77 H3"]  # until accepted


async def test_a_procedure_names_its_consumable_device_and_protocol(
    bs: Caller, lab: Lab
) -> None:
    body = {
        **new_record("procedure", lab),
        "consumable": lab.ids["consumable"],
        "hardwaredevice": lab.ids["camera"],
        "protocol": lab.ids["protocol@public"],
    }
    created = (await bs.ok("POST", url("procedure"), "eve", json=body))["procedure"]
    assert (created["consumable"], created["protocol"]) == (body["consumable"], body["protocol"])
    protocol = await bs.ok(
        "GET", owned_url("protocol", lab.ids["protocol@public"]), "eve"
    )
    assert protocol["protocol"]["procedures"] == [created["id"]]
    # A protocol its writer may not see is as missing as any.
    hidden = {**body, "protocol": lab.ids["protocol@private"]}
    response = await bs("POST", url("procedure"), "eve", json=hidden)
    assert response.status_code == 400 and "does not exist" in response.text


@pytest.mark.parametrize("model", ["dataacquisition", "manipulation"])
async def test_a_session_record_names_its_device_and_needs_its_procedures(
    bs: Caller, lab: Lab, model: str
) -> None:
    singular = BRAINSTEM[model].singular
    body = {**new_record(model, lab), "hardwaredevice": lab.ids["camera"]}
    created = (await bs.ok("POST", url(model), "eve", json=body))[singular]
    assert created["hardwaredevice"] == lab.ids["camera"]
    device = await bs.ok(
        "GET", f"/api/private/resources/hardwaredevice/{lab.ids['camera']}/", "eve"
    )
    assert created["id"] in device["hardware_device"][f"{model}s"]
    response = await bs("POST", url(model), "eve", json={**body, "procedures": []})
    assert response.status_code == 400 and list(response.json()) == ["procedures"]


async def test_a_breeding_takes_parents_of_its_own_project_only(bs: Caller, lab: Lab) -> None:
    body = {**new_record("breeding", lab), "father": lab.ids["M001"]}  # of the open project
    response = await bs("POST", url("breeding"), "eve", json=body)
    assert response.status_code == 400
    assert "belong to the breeding's project" in response.json()["mother"][0]
    key = lab.ids["breeding@secret_project"]
    response = await bs("PATCH", url("breeding", key), "eve", json={"mother": lab.ids["M001"]})
    assert response.status_code == 400
    record = (await bs.ok("GET", url("breeding", key), "eve"))["breeding"]
    assert record["mother"] == lab.ids["M002"]  # the refused change left it as it was
    response = await bs("PATCH", url("breeding", key), "eve", json={"litter_size": 0})
    assert response.status_code == 400 and list(response.json()) == ["litter_size"]


async def test_a_license_ends_on_or_after_it_starts(bs: Caller, lab: Lab) -> None:
    body = {**new_owned("license", lab), "valid_until": "2025-12-31"}
    response = await bs("POST", owned_url("license"), "alice", json=body)
    assert response.status_code == 400 and list(response.json()) == ["valid_until"]
    key = lab.ids["license@private"]
    window = {"valid_from": "2026-01-01", "valid_until": "2026-01-01"}
    assert (await bs.ok("PATCH", owned_url("license", key), "alice", json=window))["license"][
        "valid_until"
    ] == "2026-01-01"
    response = await bs(
        "PATCH", owned_url("license", key), "alice", json={"valid_from": "2027-01-01"}
    )
    assert response.status_code == 400


async def test_a_log_adds_changes_and_removes_entries_one_at_a_time(bs: Caller, lab: Lab) -> None:
    key = lab.ids["procedurelog@secret_project"]
    entry = {"date_time": "2026-03-09T09:00:00Z", "notes": None, "details": {"impedances": [0.9]}}
    added = await bs.ok("PATCH", url("procedurelog", key) + "add_entry", "eve", json=entry)
    entries = added["procedure_log"]["entries"]
    assert [e["date_time"] for e in entries] == ["2026-03-09T09:00:00Z", "2026-03-02T09:00:00Z"]
    again = await bs("PATCH", url("procedurelog", key) + "add_entry", "eve", json=entry)
    assert again.status_code == 400 and list(again.json()) == ["date_time"]
    broken = {**entry, "date_time": "2026-03-10T09:00:00Z", "details": {}}
    response = await bs("PATCH", url("procedurelog", key) + "add_entry", "eve", json=broken)
    assert response.status_code == 400 and "entries[0].details" in response.text
    note = {"date_time": "2026-03-09T09:00:00+00:00", "notes": "after cleaning"}
    changed = await bs.ok("PATCH", url("procedurelog", key) + "change_entry", "eve", json=note)
    assert changed["procedure_log"]["entries"][0]["notes"] == "after cleaning"
    removed = await bs.ok(
        "PATCH", url("procedurelog", key) + "remove_entry", "eve",
        json={"date_time": "2026-03-02T09:00:00Z"},
    )  # fmt: skip
    assert [e["date_time"] for e in removed["procedure_log"]["entries"]] == [entry["date_time"]]
    later = {**entry, "date_time": "2026-03-16T09:00:00Z"}
    refused = await bs("PATCH", url("procedurelog", key) + "add_entry", "vic", json=later)
    assert refused.status_code == 403
    hidden = await bs("PATCH", url("procedurelog", key) + "add_entry", "mallory", json=entry)
    assert hidden.status_code == 404
    other = await bs("PATCH", url("procedure", lab.ids["procedure@secret_project"]) + "add_entry",
                     "eve", json=entry)  # fmt: skip
    assert other.status_code == 404
