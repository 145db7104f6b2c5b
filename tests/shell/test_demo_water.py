"""The demo data set has a subject under water restriction (CO010), weighed and given water
every day: its Alyx figures and water requirement come from those rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import User
from gateway.db.models._base import utcnow
from gateway.demo import seed_demo
from gateway.demo_water import DAYS
from gateway.settings import Settings
from gateway.storage import Storage
from tests.auth.support import bearer, personal_token
from tests.conftest import Gateway


async def test_the_demos_water_restricted_subject_has_its_figures(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()
        nick = (await session.execute(select(User.id).where(User.username == "nick"))).scalar()
    assert nick is not None
    headers = bearer(await personal_token(sessionmaker, nick, now=utcnow()), "Token")
    restricted = (await gateway.client.get("/water-restricted-subjects", headers=headers)).json()
    assert [s["nickname"] for s in restricted["results"]] == ["CO010"]
    subject = (await gateway.client.get("/subjects/CO010", headers=headers)).json()
    assert len(subject["weighings"]) == DAYS and subject["last_water_restriction"]
    last = subject["weighings"][0]["weight"]  # newest first
    assert abs(subject["expected_water"] - 0.04 * (last - 1.2)) < 1e-9  # 4%, less the implant
    assert subject["reference_weight"] > 0
    days_asked = "start_date=2024-03-05&end_date=2024-03-10"
    url = f"/water-requirement/CO010?{days_asked}"
    requirement = (await gateway.client.get(url, headers=headers)).json()
    days = requirement["records"]
    assert days[0]["date"] == "2024-03-05" and len(days) == 6
    assert all(d["is_water_restricted"] for d in days)
    assert all(d["given_water_total"] > 0 for d in days)
    assert requirement["implant_weight"] == 1.2
