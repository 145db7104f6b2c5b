"""ONE 3.6.1 records and reads a subject's water control unchanged: weighings and water
given through ``AlyxClient.rest``, the subject's computed figures, the water requirement,
and the refusals anonymous callers and outsiders get."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import WaterRestriction, WaterRestrictionUser
from tests.clients.test_one_client import Live, home, live, run  # noqa: F401 (fixtures)
from tests.rest.alyx.water import arrange_water, at, today


@pytest.fixture
async def water(live: Live, sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:  # noqa: F811
    return await arrange_water(sessionmaker, live.lab)


async def test_one_records_weighings_and_water_and_reads_the_subjects_figures(
    live: Live,  # noqa: F811
    water: dict[str, Any],
) -> None:
    def scenario() -> None:
        alyx = live.client("alice")
        weighed = alyx.rest(
            "weighings",
            "create",
            data={"subject": "EJ001", "weight": 22.5, "date_time": at(0, 8).isoformat()},
        )
        assert (weighed["subject"], weighed["weight"], weighed["user"]) == ("EJ001", 22.5, "alice")
        given = alyx.rest(
            "water-administrations",
            "create",
            data={"subject": "EJ001", "water_administered": 0.25, "water_type": "Hydrogel"},
        )
        assert given["water_type"] == "Hydrogel" and given["session"] is None
        listed = alyx.rest("water-administrations", "list", subject="EJ001")
        assert sorted(a["water_administered"] for a in listed) == [0.2, 0.25, 0.4]
        assert [w["weight"] for w in alyx.rest("weighings", "list", subject="ej001")] == [
            22.5,
            23.0,
            25.0,
        ]

        subject = alyx.rest("subjects", "read", id="EJ001")
        assert subject["reference_weight"] == 23.5
        assert subject["expected_water"] == pytest.approx(0.04 * (22.5 - 1.5))
        assert subject["remaining_water"] == pytest.approx(0.04 * (22.5 - 1.5) - 0.85)
        assert subject["last_water_restriction"] == water["restriction_start"].isoformat()
        assert weighed["url"] in {w["url"] for w in subject["weighings"]}

        requirement = alyx.rest("water-requirement", "read", id="EJ001")
        last = requirement["records"][-1]
        assert last["date"] == today().isoformat() and last["is_water_restricted"] is True
        assert last["given_water_total"] == pytest.approx(0.85)

        restricted = alyx.rest("water-restricted-subjects", "list")
        assert [s["nickname"] for s in restricted] == ["EJ001", "EJ010"]
        assert [s["nickname"] for s in alyx.rest("subjects", "list", water_restricted=True)] == [
            "EJ001"
        ]
        assert [t["name"] for t in alyx.rest("water-type", "list")] == ["Hydrogel", "Water"]
        [restriction] = alyx.rest("water-restriction", "list", subject="EJ001")
        assert restriction["end_time"] is None

        changed = alyx.rest(
            "water-administrations",
            "partial_update",
            id=given["url"][-36:],
            data={"water_administered": 0.3},
        )
        assert changed["water_administered"] == 0.3
        assert alyx.rest("weighings", "delete", id=weighed["url"][-36:]) is None
        with pytest.raises(requests.HTTPError) as gone:
            alyx.rest("weighings", "read", id=weighed["url"][-36:])
        assert gone.value.response.status_code == 404

    await run(scenario)


async def test_anonymous_callers_and_outsiders_are_refused_as_alyx_refuses_them(
    live: Live,  # noqa: F811
    water: dict[str, Any],
) -> None:
    def scenario() -> None:
        for path in ("weighings", "water-administrations", "water-requirement/EJ001"):
            anonymous = requests.get(f"{live.url}/{path}", timeout=30)
            assert anonymous.status_code == 403
            assert anonymous.json()["detail"] == "Authentication credentials were not provided."
        outsider = live.client("mallory")
        assert outsider.rest("weighings", "list", subject="EJ002") == []
        with pytest.raises(requests.HTTPError) as refused:
            outsider.rest("weighings", "create", data={"subject": "EJ002", "weight": 20.0})
        assert refused.value.response.status_code == 400
        viewer = live.client("vic")
        assert [w["weight"] for w in viewer.rest("weighings", "list", subject="EJ002")] == [30.0]
        with pytest.raises(requests.HTTPError) as forbidden:
            viewer.rest("weighings", "create", data={"subject": "EJ002", "weight": 20.0})
        assert forbidden.value.response.status_code == 403

    await run(scenario)


async def test_one_reads_restrictions_in_alyxs_order_by_user_and_registers_a_laboratory_mouse(
    live: Live,  # noqa: F811
    water: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        ended = WaterRestriction(
            subject_id=uuid.UUID(live.lab.ids["EJ001"]), start_time=at(30), end_time=at(20)
        )
        session.add(ended)
        await session.flush()
        session.add(
            WaterRestrictionUser(water_restriction_id=ended.id, user_id=live.lab.users["alice"])
        )
        await session.commit()

    def scenario() -> None:
        alyx = live.client("eve")
        listed = alyx.rest("water-restriction", "list", subject="EJ001")
        # Alyx's order on PostgreSQL: the restriction under way (no end) first.
        assert [r["end_time"] for r in listed] == [None, at(20).isoformat()]
        [by_alice] = alyx.rest("water-restriction", "list", users="alice")
        assert by_alice["start_time"] == at(30).isoformat()
        subject = alyx.rest(
            "subjects",
            "create",
            data={"nickname": "ONE_02", "projects": ["secret_project"], "sex": "M"},
        )
        assert subject["species"] == "Laboratory mouse"  # Alyx's default_species
        assert alyx.rest("subjects", "delete", id="ONE_02") is None

    await run(scenario)
