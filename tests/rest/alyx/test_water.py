"""Alyx's water control endpoints (weighings, water administrations, water restrictions, water
types, surgeries, procedure types, water-restricted subjects, the water requirement) and the
water figures of a subject's records, as real Alyx 3.6.1 computes and serves them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import WaterRestriction, WaterType, Weighing
from tests.conftest import Gateway
from tests.rest.alyx.support import Caller, Lab
from tests.rest.alyx.water import arrange_water, at, today


@pytest.fixture
async def water(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> dict[str, Any]:
    return await arrange_water(sessionmaker, lab)


@pytest.mark.parametrize(
    "path",
    [
        "/weighings",
        "/water-administrations",
        "/water-restriction",
        "/water-restricted-subjects",
        "/water-type",
        "/surgeries",
        "/procedures",
        "/water-requirement/EJ001",
    ],
)
async def test_anonymous_callers_get_alyxs_403(call: Caller, water: Any, path: str) -> None:
    response = await call("GET", path)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "status_code": 403,
    }


async def test_a_weighing_record_has_alyxs_fields(call: Caller, water: Any) -> None:
    record = await call.ok("GET", f"/weighings/{water['latest']}", "alice")
    assert record == {
        "subject": "EJ001",
        "date_time": at(0).isoformat(),
        "weight": 23.0,
        "user": "alice",
        "url": f"http://testserver/weighings/{water['latest']}",
    }


async def test_weighings_of_a_private_projects_subject_are_hidden_from_non_members(
    call: Caller, gateway: Gateway, lab: Lab, water: Any
) -> None:
    assert [w["subject"] for w in await call.results("/weighings?subject=ej002", "vic")] == [
        "EJ002"
    ]
    assert await call.results("/weighings?subject=EJ002", "mallory") == []
    hidden = await call("GET", f"/weighings/{water['secret']}", "mallory")
    assert hidden.status_code == 404
    query = "{ weighings { weight subject { nickname } } }"
    seen = await gateway.graphql(query, **lab.headers("mallory"))
    # EJ001 is in the public project: only its weighings.
    assert {w["subject"]["nickname"] for w in seen["data"]["weighings"]} == {"EJ001"}
    member = await gateway.graphql(query, **lab.headers("vic"))
    assert {(w["subject"]["nickname"], w["weight"]) for w in member["data"]["weighings"]} == {
        ("EJ002", 30.0),
        ("EJ001", 25.0),
        ("EJ001", 23.0),
    }


async def test_graphql_lists_a_subjects_water_records_through_its_relations(
    gateway: Gateway, lab: Lab, water: Any
) -> None:
    query = """{ subjects(where: {nickname: {eq: "EJ001"}}, limit: 1) { nickname
        weighings(limit: 10) { weight }
        waterAdministrations(limit: 10) { waterAdministered waterType { name } }
        waterRestrictions(limit: 10) { endTime referenceWeight }
        surgeries(limit: 10) { implantWeight procedures(limit: 10) { name } } } }"""
    body = await gateway.graphql(query, **lab.headers("alice"))
    assert "errors" not in body, body
    [subject] = body["data"]["subjects"]
    assert [w["weight"] for w in subject["weighings"]] == [23.0, 25.0]
    assert sorted(a["waterAdministered"] for a in subject["waterAdministrations"]) == [0.2, 0.4]
    assert subject["waterAdministrations"][0]["waterType"] == {"name": "Water"}
    assert subject["waterRestrictions"] == [{"endTime": None, "referenceWeight": 0.0}]
    assert subject["surgeries"] == [
        {"implantWeight": 1.5, "procedures": [{"name": "Headbar implant"}]}
    ]


async def test_a_subjects_detail_computes_its_water_figures_as_alyx(
    call: Caller, water: Any
) -> None:
    detail = await call.ok("GET", "/subjects/EJ001", "alice")
    # The restriction's reference weight is 0: the last weighing before it (25.0 g), less
    # the implant (1.5 g). Expected water: 4% of the last weight less the implant.
    assert detail["reference_weight"] == 23.5
    assert detail["expected_water"] == pytest.approx(0.04 * (23.0 - 1.5))
    assert detail["remaining_water"] == pytest.approx(0.04 * (23.0 - 1.5) - 0.6)
    assert detail["last_water_restriction"] == water["restriction_start"].isoformat()
    assert [w["weight"] for w in detail["weighings"]] == [23.0, 25.0]
    assert {a["water_administered"] for a in detail["water_administrations"]} == {0.2, 0.4}
    listed = await call.results("/subjects?nickname=EJ001", "alice")
    assert listed[0]["reference_weight"] == 23.5


async def test_a_subject_without_water_records_shows_zeros_and_a_null_restriction(
    call: Caller, water: Any
) -> None:
    detail = await call.ok("GET", "/subjects/EJ002", "alice")
    assert (
        detail["reference_weight"],
        detail["last_water_restriction"],
        detail["remaining_water"],
    ) == (0.0, None, pytest.approx(0.04 * 30.0))
    quiet = await call.ok("GET", "/subjects/EJ010", "alice")
    assert quiet["expected_water"] == 0.0 and isinstance(quiet["expected_water"], float)
    assert quiet["weighings"] == [] and quiet["water_administrations"] == []


async def test_water_restricted_filters_and_lists_as_alyx(call: Caller, water: Any) -> None:
    restricted = await call.results("/subjects?water_restricted=true", "alice")
    assert [s["nickname"] for s in restricted] == ["EJ001"]  # EJ010 is dead
    free = await call.results("/subjects?water_restricted=false", "alice")
    assert [s["nickname"] for s in free] == ["EJ002"]
    listed = await call.results("/water-restricted-subjects", "alice")
    assert [s["nickname"] for s in listed] == ["EJ001", "EJ010"]
    assert set(listed[0]) == {
        "nickname",
        "url",
        "expected_water",
        "remaining_water",
        "reference_weight",
        "last_water_restriction",
        "reference_weight_pct",
        "zscore_weight_pct",
    }
    refused = await call("GET", "/subjects?water_restricted=maybe", "alice")
    assert refused.status_code == 400


async def test_water_restrictions_types_surgeries_and_procedures(call: Caller, water: Any) -> None:
    [restriction] = await call.results("/water-restriction?subject=EJ001", "alice")
    assert restriction == {
        "subject": "EJ001",
        "start_time": water["restriction_start"].isoformat(),
        "end_time": None,
        "water_type": "Water",
        "reference_weight": 0.0,
    }
    types = await call.results("/water-type", "alice")
    assert [t["name"] for t in types] == ["Hydrogel", "Water"]
    assert (await call.ok("GET", "/water-type/Water", "alice"))["url"].endswith("/water-type/Water")
    [surgery] = await call.results("/surgeries?subject=EJ001", "alice")
    assert surgery["implant_weight"] == 1.5 and surgery["outcome_type"] == "r"
    assert surgery["procedures"] == [str(water["headbar"])]
    [procedure] = await call.results("/procedures", "alice")
    assert procedure == {
        "id": str(water["headbar"]),
        "name": "Headbar implant",
        "json": None,
        "description": "A headbar.",
    }


async def test_the_water_requirement_is_one_record_a_day(call: Caller, water: Any) -> None:
    start = at(4).date().isoformat()
    body = await call.ok("GET", f"/water-requirement/EJ001?start_date={start}", "alice")
    assert (body["subject"], body["implant_weight"]) == ("EJ001", 1.5)
    assert (body["reference_weight_pct"], body["zscore_weight_pct"]) == (0.0, 0.0)
    first, *_, last = body["records"]
    assert len(body["records"]) == 5
    assert first["date"] == start and first["is_water_restricted"] is False
    assert first["weight"] == 25.0 and first["reference_weight"] == 0.0
    assert last["date"] == today().isoformat() and last["is_water_restricted"] is True
    assert (last["weighing_at"], last["reference_weight"]) == (23.0, 23.5)
    assert last["given_water_reward"] == pytest.approx(0.4)
    assert last["given_water_supplement"] == pytest.approx(0.2)
    assert last["expected_water"] == pytest.approx(0.86)
    assert last["excess_water"] == pytest.approx(0.6 - 0.86)
    default = await call.ok("GET", "/water-requirement/EJ001", "alice")
    assert default["records"][0]["date"] == start  # from the first weighing
    bad = await call("GET", "/water-requirement/EJ001?start_date=yesterday", "alice")
    assert bad.status_code == 400
    hidden = await call("GET", "/water-requirement/R001", "alice")
    assert hidden.status_code == 404


async def test_weighings_are_created_and_deleted_and_bad_ones_leave_nothing(
    call: Caller, sessionmaker: async_sessionmaker[AsyncSession], water: Any
) -> None:
    made = await call.ok(
        "POST", "/weighings", "eve", json={"subject": "EJ002", "weight": "31.5"}
    )
    assert (made["subject"], made["weight"], made["user"]) == ("EJ002", 31.5, "eve")
    key = made["url"][-36:]
    for body, field in (
        ({"subject": "EJ002", "weight": -1}, "weight"),
        ({"subject": "EJ002", "weight": "heavy"}, "weight"),
        ({"subject": "EJ002"}, "weight"),
        ({"subject": "nobody", "weight": 20}, "subject"),
        ({"subject": None, "weight": 20}, "subject"),
    ):
        refused = await call("POST", "/weighings", "eve", json=body)
        assert refused.status_code == 400 and field in refused.json(), refused.text
    viewer = await call("POST", "/weighings", "vic", json={"subject": "EJ002", "weight": 20})
    assert viewer.status_code == 403
    outsider = await call("POST", "/weighings", "mallory", json={"subject": "EJ002", "weight": 2})
    assert outsider.status_code == 400 and "subject" in outsider.json()
    patch = await call("PATCH", f"/weighings/{key}", "eve", json={"weight": 1})
    assert patch.status_code == 405  # Alyx: read and delete only
    deleted = await call("DELETE", f"/weighings/{key}", "eve")
    assert deleted.status_code == 204
    async with sessionmaker() as db:
        count = await db.scalar(select(func.count()).select_from(Weighing))
    assert count == 3  # the three arranged ones


async def test_water_administrations_are_created_patched_and_filtered(
    call: Caller, water: Any, lab: Lab
) -> None:
    made = await call.ok(
        "POST",
        "/water-administrations",
        "alice",
        json={
            "subject": "EJ001",
            "water_administered": 0.5,
            "water_type": "Hydrogel",
            "session": lab.ids["ej1_evening"],
            "date_time": "2024-03-01T18:45:00",
        },
    )
    assert made["session"] == lab.ids["ej1_evening"] and made["adlib"] is False
    assert (made["user"], made["water_type"]) == ("alice", "Hydrogel")
    key = made["url"][-36:]
    patched = await call.ok("PATCH", f"/water-administrations/{key}", "alice", json={"adlib": True})
    assert patched["adlib"] is True and patched["water_administered"] == 0.5
    listed = await call.results(f"/water-administrations?session={lab.ids['ej1_evening']}")
    assert [a["url"] for a in listed] == [made["url"]]
    session = await call.ok("GET", f"/sessions/{lab.ids['ej1_evening']}", "alice")
    assert session["wateradmin_session_related"] == [
        {"id": key, "name": "", "water_type": "Hydrogel", "water_administered": 0.5}
    ]
    wrong = await call(
        "POST", "/water-administrations", "alice", json={"subject": "EJ001", "water_type": "Tea"}
    )
    assert wrong.status_code == 400 and "water_type" in wrong.json()


async def test_graphql_creates_water_and_procedure_types_which_keep_no_timestamps(
    gateway: Gateway, lab: Lab, water: Any
) -> None:
    for kind, name in (("WaterType", "Hydrogel 5% Citric Acid"), ("ProcedureType", "Craniotomy")):
        made = f'create{kind}(input: {{name: "{name}"}}) {{ __typename ... on {kind} {{ name }} }}'
        body = await gateway.graphql(f"mutation {{ {made} }}", **lab.headers("ada"))
        assert "errors" not in body, body
        assert body["data"][f"create{kind}"] == {"__typename": kind, "name": name}


async def test_a_users_actions_of_each_type_are_their_records_as_listed_there(
    call: Caller, water: Any
) -> None:
    weighings = await call.results("/users/alice/actions?type=weighing", "alice")
    assert weighings == await call.results("/weighings?django=user__username,alice", "alice")
    assert [w["url"][-36:] for w in weighings] == [str(water["latest"]), str(water["before"])]
    given = await call.results("/users/alice/actions?type=water_administration", "alice")
    assert given == [await call.ok("GET", f"/water-administrations/{water['reward']}", "alice")]
    # Visibility as on /weighings: eve's weighing of the secret project's EJ002.
    assert [w["weight"] for w in await call.results("/users/eve/actions?type=weighing", "vic")] == [
        30.0
    ]
    assert await call.results("/users/eve/actions?type=weighing", "mallory") == []
    # The fixture's restriction and surgery name no one (rows written without users).
    for kind in ("water_restriction", "surgery"):
        assert await call.results(f"/users/alice/actions?type={kind}", "alice") == []
    paged = await call.ok("GET", "/users/alice/actions?type=weighing&limit=1", "alice")
    assert paged["count"] == 2 and len(paged["results"]) == 1 and paged["next"]


async def test_water_given_without_a_type_gets_alyxs_default(
    call: Caller,
    gateway: Gateway,
    water: Any,
    lab: Lab,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def given(nickname: str, **more: Any) -> dict[str, Any]:
        body = {"subject": nickname, "water_administered": 0.3, **more}
        return await call.ok("POST", "/water-administrations", "alice", json=body)

    # EJ001's latest water restriction gives Water; EJ002 has none: the type named Water.
    assert (await given("EJ001"))["water_type"] == "Water"
    assert (await given("EJ002"))["water_type"] == "Water"
    async with sessionmaker() as session:
        hydrogel = (
            await session.execute(select(WaterType.id).where(WaterType.name == "Hydrogel"))
        ).scalar_one()
        session.add(
            WaterRestriction(subject_id=uuid.UUID(lab.ids["EJ001"]), start_time=at(1),
                             water_type_id=hydrogel)
        )
        await session.commit()
    made = await given("EJ001")
    assert made["water_type"] == "Hydrogel"  # now the latest restriction's
    # GraphQL writes through the same domain function.
    mutation = f'''mutation {{ createWaterAdministration(input: {{
        subjectId: "{lab.ids["EJ001"]}", waterAdministered: 0.1 }}) {{
        ... on WaterAdministration {{ waterType {{ name }} }} }} }}'''
    body = await gateway.graphql(mutation, **lab.headers("alice"))
    assert body["data"]["createWaterAdministration"] == {"waterType": {"name": "Hydrogel"}}, body
    assert (await given("EJ001", water_type="Water"))["water_type"] == "Water"  # as given
    # Alyx defaults it on every save: clearing it gives the default again.
    key = made["url"][-36:]
    cleared = await call.ok(
        "PATCH", f"/water-administrations/{key}", "alice", json={"water_type": None}
    )
    assert cleared["water_type"] == "Hydrogel"


async def _create(gateway: Gateway, lab: Lab, who: str, kind: str, fields: str) -> dict[str, Any]:
    mutation = f"""mutation {{ create{kind}(input: {{ {fields} }}) {{
        ... on {kind} {{ id users {{ username }} }} }} }}"""
    body = await gateway.graphql(mutation, **lab.headers(who))
    assert "errors" not in body, body
    return body["data"][f"create{kind}"]  # type: ignore[no-any-return]


async def test_restrictions_and_surgeries_record_who_did_them_by_default_the_caller(
    call: Caller, gateway: Gateway, lab: Lab, water: Any
) -> None:
    """Alyx's WaterRestriction and Surgery are BaseActions with ``users``, which its admin
    fills with the signed-in user; real Alyx's REST lists them only (and changes surgeries)."""
    subject = f'subjectId: "{lab.ids["EJ001"]}"'
    restriction = await _create(
        gateway, lab, "alice", "WaterRestriction", f'{subject}, startTime: "{at(30).isoformat()}"'
        f', endTime: "{at(20).isoformat()}"'
    )
    assert restriction["users"] == [{"username": "alice"}]
    named = f'userIds: ["{lab.users["vic"]}", "{lab.users["alice"]}"]'
    surgery = await _create(gateway, lab, "alice", "Surgery", f"{subject}, {named}")
    assert sorted(u["username"] for u in surgery["users"]) == ["alice", "vic"]

    # /users/<name>/actions lists them as their own endpoints list them.
    [mine] = await call.results("/users/alice/actions?type=water_restriction", "alice")
    assert mine == {
        "subject": "EJ001",
        "start_time": at(30).isoformat(),
        "end_time": at(20).isoformat(),
        "water_type": "Water",  # Alyx's default, as none was named
        "reference_weight": 0.0,
    }
    assert await call.results("/users/vic/actions?type=water_restriction", "alice") == []
    [operated] = await call.results("/users/vic/actions?type=surgery", "alice")
    assert operated["id"] == surgery["id"]

    # SurgerySerializer shows them by the keys /users shows; WaterRestrictionListSerializer not.
    keys = {who: (await call.ok("GET", f"/users/{who}", "alice"))["id"] for who in ("alice", "vic")}
    assert sorted(operated["users"]) == sorted(keys.values())
    assert "users" not in mine
    # BaseActionFilter's ``users``: every name given must be one of them.
    assert [r["start_time"] for r in await call.results("/water-restriction?users=alice")] == [
        at(30).isoformat()
    ]
    both = await call.results("/surgeries?users=alice,vic", "alice")
    assert [s["id"] for s in both] == [surgery["id"]]
    assert await call.results("/surgeries?users=alice,mallory", "alice") == []


async def test_water_restrictions_are_listed_as_alyx_orders_them_those_under_way_first(
    call: Caller, gateway: Gateway, lab: Lab, water: Any
) -> None:
    """Alyx's ``order_by('-end_time', '-start_time')`` on PostgreSQL puts NULL first."""
    subject = f'subjectId: "{lab.ids["EJ001"]}"'
    for start, end in ((40, 35), (20, 15)):
        period = f'startTime: "{at(start).isoformat()}", endTime: "{at(end).isoformat()}"'
        await _create(gateway, lab, "alice", "WaterRestriction", f"{subject}, {period}")
    listed = await call.results("/water-restriction?subject=EJ001", "alice")
    assert [(r["start_time"], r["end_time"]) for r in listed] == [
        (water["restriction_start"].isoformat(), None),
        (at(20).isoformat(), at(15).isoformat()),
        (at(40).isoformat(), at(35).isoformat()),
    ]


async def test_a_water_restriction_gets_alyxs_default_water_type_and_reference_weight(
    call: Caller, gateway: Gateway, lab: Lab, water: Any
) -> None:
    subject = f'subjectId: "{lab.ids["EJ002"]}"'
    fields = "... on WaterRestriction { waterType { name } }"
    for given, expected in (("", {"name": "Water"}), (", waterTypeId: null", None)):
        made = f"createWaterRestriction(input: {{ {subject}{given} }}) {{ {fields} }}"
        body = await gateway.graphql(f"mutation {{ {made} }}", **lab.headers("eve"))
        assert body["data"]["createWaterRestriction"] == {"waterType": expected}, body
    # WaterRestriction.save: no reference weight is the last weighing on or before its start
    # day, when less than a week from it (EJ002 was weighed 30 g a day ago).
    for start, weight in ((at(0, 8), 30.0), (at(-10), 0.0)):
        given = f'startTime: "{start.isoformat()}"'
        fields = "... on WaterRestriction { id referenceWeight }"
        made = f"createWaterRestriction(input: {{ {subject}, {given} }}) {{ {fields} }}"
        body = await gateway.graphql(f"mutation {{ {made} }}", **lab.headers("eve"))
        assert body["data"]["createWaterRestriction"]["referenceWeight"] == weight, body
    listed = await call.results("/water-restriction?subject=EJ002", "eve")
    # The first two started now (no start given): weighed a day before too.
    assert sorted(r["reference_weight"] for r in listed) == [0.0, 30.0, 30.0, 30.0]
