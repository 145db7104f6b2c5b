"""BrainSTEM's module models and collections through the shim: each one's list, detail,
create, PATCH, PUT and delete with BrainSTEM's envelopes; ``details`` checked against the
schema of its ``type`` (a 400 naming the failing path); who may see and change them (those
who may see and change the subject, session or project they belong to); the relations both
ways (a session's ``behaviors``, a subject's ``procedures``); the schemas served."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Procedure, table
from gateway.rest.brainstem.models import MODELS as BRAINSTEM
from tests.conftest import Gateway
from tests.rest.brainstem.modules import CHANGE, MODELS, arrange_modules, new_record, url
from tests.rest.brainstem.support import Caller, Lab, arrange


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    return lab


@pytest.fixture
def bs(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)


@pytest.mark.parametrize("model", MODELS)
async def test_a_member_lists_what_their_projects_hold_in_the_plural_envelope(
    bs: Caller, lab: Lab, model: str
) -> None:
    body = await bs.ok("GET", url(model), "alice")
    plural = BRAINSTEM[model].plural
    assert list(body) == [plural, "count", "next", "previous"]
    listed = {record["id"] for record in body[plural]}
    assert listed == {lab.ids[f"{model}@open_project"], lab.ids[f"{model}@secret_project"]}
    assert body["count"] == 2


@pytest.mark.parametrize("model", MODELS)
async def test_create_read_change_replace_and_delete_round_trip(
    bs: Caller, lab: Lab, model: str
) -> None:
    singular = BRAINSTEM[model].singular
    body = new_record(model, lab)
    created = await bs("POST", url(model), "eve", json=body)
    assert created.status_code == 201, created.text
    record = created.json()[singular]
    for name, value in body.items():
        assert record[name] == value, name
    key = record["id"]
    assert (await bs.ok("GET", url(model, key), "vic"))[singular] == record
    field, value = CHANGE[model]
    changed = await bs.ok("PATCH", url(model, key), "eve", json={field: value})
    assert changed[singular][field] == value
    assert {k: v for k, v in changed[singular].items() if k not in (field, "updated_at")} == {
        k: v for k, v in record.items() if k not in (field, "updated_at")
    }
    # PUT replaces: what it does not give goes back to its default.
    replaced = await bs.ok("PUT", url(model, key), "eve", json=body)
    assert replaced[singular][field] == body.get(field, "")
    deleted = await bs("DELETE", url(model, key), "eve")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await bs("GET", url(model, key), "eve")).status_code == 404


@pytest.mark.parametrize("model", MODELS)
async def test_a_viewer_may_not_write_and_an_outsider_cannot_reach_the_parent(
    bs: Caller, lab: Lab, model: str
) -> None:
    body = new_record(model, lab)
    refused = await bs("POST", url(model), "vic", json=body)
    assert refused.status_code == 403, refused.text
    # mallory sees nothing of secret_project: its rows are as missing as any.
    missing = await bs("POST", url(model), "mallory", json=body)
    assert missing.status_code == 400 and "does not exist" in missing.text
    key = lab.ids[f"{model}@secret_project"]
    field, value = CHANGE[model]
    assert (await bs("PATCH", url(model, key), "vic", json={field: value})).status_code == 403
    assert (await bs("PATCH", url(model, key), "mallory", json={field: value})).status_code == 404
    assert (await bs("DELETE", url(model, key), "mallory")).status_code == 404
    assert (await bs("GET", url(model, key), "mallory")).status_code == 404


@pytest.mark.parametrize("model", MODELS)
async def test_the_public_portal_shows_only_public_projects_records(
    bs: Caller, lab: Lab, model: str
) -> None:
    body = await bs.ok("GET", url(model, portal="public"))
    records = body[BRAINSTEM[model].plural]
    assert [r["id"] for r in records] == [lab.ids[f"{model}@open_project"]]


async def test_details_that_break_the_schema_of_their_type_are_refused_with_the_path(
    bs: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = new_record("procedure", lab)
    wrong = {**body, "coordinates_details": {"apCoordinate": {"value": "far", "unit": "mm"}}}
    response = await bs("POST", url("procedure"), "eve", json=wrong)
    assert response.status_code == 400
    assert list(response.json()) == ["coordinates_details"]
    assert "coordinates_details.apCoordinate.value" in response.json()["coordinates_details"][0]
    bad_unit = {**new_record("subjectlog", lab), "details": {"weight": {"value": 3, "unit": "t"}}}
    response = await bs("POST", url("subjectlog"), "eve", json=bad_unit)
    assert response.status_code == 400 and "details.weight.unit" in response.text
    missing = {**new_record("subjectlog", lab), "details": {}}
    response = await bs("POST", url("subjectlog"), "eve", json=missing)
    assert response.status_code == 400 and "'weight' is a required property" in response.text
    in_array = {
        **new_record("manipulation", lab),
        "details": [{"profile": "Pulse train"}, {"profile": "Wobble"}],
    }
    response = await bs("POST", url("manipulation"), "eve", json=in_array)
    assert response.status_code == 400 and "details[1].profile" in response.text
    async with sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(table(Procedure)))).scalar()
    assert count == 3  # the refused write left nothing behind


async def test_a_type_without_a_schema_is_refused_and_a_change_is_checked_as_stored(
    bs: Caller, lab: Lab
) -> None:
    response = await bs(
        "POST", url("subjectlog"), "eve", json={**new_record("subjectlog", lab), "type": "Nap"}
    )
    assert response.status_code == 400 and list(response.json()) == ["type"]
    key = lab.ids["subjectlog@secret_project"]
    # Changing only the type checks the stored details against the new type's schema.
    response = await bs("PATCH", url("subjectlog", key), "eve", json={"type": "WaterConsumption"})
    assert response.status_code == 400 and "waterAmount" in response.text
    changed = await bs.ok(
        "PATCH",
        url("subjectlog", key),
        "eve",
        json={"type": "WaterConsumption", "details": {"waterAmount": {"value": 1, "unit": "mL"}}},
    )
    assert changed["subject_log"]["type_schema_version"] == "1.1.0"


async def test_a_session_and_a_subject_list_and_include_what_they_hold(
    bs: Caller, lab: Lab
) -> None:
    run = lab.ids["secret_run"]
    record = (await bs.ok("GET", f"/api/private/stem/session/{run}/", "alice"))["session"]
    assert record["behaviors"] == [lab.ids["behavior@secret_project"]]
    assert record["dataacquisition"] == [lab.ids["dataacquisition@secret_project"]]
    assert record["manipulations"] == [lab.ids["manipulation@secret_project"]]
    included = "&".join(
        f"include[]={name}.*"
        for name in ("dataacquisition", "behaviors", "manipulations", "epochs")
    )
    body = await bs.ok("GET", f"/api/private/stem/session/{run}/?{included}", "alice")
    session = body["session"]
    assert session["behaviors"][0]["notes"] == "secret_project licks"
    assert session["dataacquisition"][0]["details"]["nChannels"] == 64
    assert session["manipulations"][0]["procedures"] == [lab.ids["procedure@secret_project"]]
    assert session["epochs"] == []
    subject = lab.ids["M002"]
    body = await bs.ok(
        "GET",
        f"/api/private/stem/subject/{subject}/?include[]=procedures.*&include[]=subjectlogs.*",
        "alice",
    )
    assert body["subject"]["procedures"][0]["type"] == "SiliconProbeImplant"
    assert body["subject"]["subjectlogs"][0]["details"]["weight"]["value"] == 24.5


async def test_filters_by_the_related_record_as_the_client_sends_them(
    bs: Caller, lab: Lab
) -> None:
    run = lab.ids["secret_run"]
    body = await bs.ok("GET", f"{url('behavior')}?filter{{session.id}}={run}", "alice")
    assert [r["id"] for r in body["behaviors"]] == [lab.ids["behavior@secret_project"]]
    body = await bs.ok("GET", f"{url('procedure')}?filter{{type}}=Injection", "alice")
    assert body["count"] == 0
    response = await bs("GET", f"{url('procedure')}?filter{{details}}=x", "alice")
    assert response.status_code == 400


async def test_the_schemas_are_served_for_clients_to_validate_before_sending(
    bs: Caller,
) -> None:
    index = await bs.ok("GET", "/api/schemas/")
    assert set(index["schemas"]) >= {"Procedure", "SubjectLog", "Coordinates", "Manipulation"}
    link = index["schemas"]["SubjectLog"]["Weighing"]
    assert link.endswith("/api/schemas/SubjectLog/Weighing/")
    response = await bs("GET", "/api/schemas/SubjectLog/Weighing/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.json()["required"] == ["weight"]
    assert (await bs("GET", "/api/schemas/SubjectLog/Nap/")).status_code == 404


async def test_the_seeds_combined_example_works_where_the_relations_exist(
    bs: Caller, lab: Lab
) -> None:
    """Seed 001's ``/?filter{name}=project1&sort[]=-created_date&include[]=behaviors&
    include[]=subjects``, on sessions (which hold behaviors) and behaviors (which hold
    subjects), with the bare relation names the seed uses."""
    body = await bs.ok(
        "GET",
        "/api/private/stem/session/?filter{name}=secret_run&sort[]=-created_date"
        "&include[]=behaviors&include[]=dataacquisition",
        "alice",
    )
    (session,) = body["sessions"]
    assert session["behaviors"][0]["id"] == lab.ids["behavior@secret_project"]
    assert session["dataacquisition"][0]["type"] == "ExtracellularEphys"
    body = await bs.ok(
        "GET",
        f"{url('behavior')}?filter{{notes}}=secret_project licks&sort[]=-created_date"
        "&include[]=session&include[]=subjects",
        "alice",
    )
    (behavior,) = body["behaviors"]
    assert behavior["session"]["name"] == "secret_run"
    assert [s["name"] for s in behavior["subjects"]] == ["M002"]


async def test_details_with_a_number_past_64_bits_are_refused_not_stored(
    bs: Caller, lab: Lab
) -> None:
    body = {**new_record("dataacquisition", lab), "details": {"nChannels": 2**70}}
    # Sent as text: json keeps the integer exact, as the gateway's decoder does.
    response = await bs(
        "POST",
        url("dataacquisition"),
        "eve",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and list(response.json()) == ["details"]
