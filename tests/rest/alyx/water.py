"""Water control rows for the Alyx tests' lab: water types, procedure types, a water
restriction under way for EJ001 with its weighings, water given and an implant, a dead
subject still restricted (EJ010), and a weighing of the secret project's EJ002."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    ProcedureType,
    Surgery,
    SurgeryProcedure,
    WaterAdministration,
    WaterRestriction,
    WaterType,
    Weighing,
)
from gateway.db.models._base import utcnow
from tests.factories import build
from tests.rest.support import Lab


def today() -> date:
    return utcnow().date()


def at(days_ago: int, hour: int = 0) -> datetime:
    return datetime.combine(today() - timedelta(days=days_ago), time(hour))


async def arrange_water(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> dict[str, Any]:
    ids, users = lab.ids, lab.users
    ej1, ej2, ej10 = (uuid.UUID(ids[n]) for n in ("EJ001", "EJ002", "EJ010"))

    async def recipe(world: Any) -> dict[str, Any]:
        water = await world.add(WaterType(name="Water"))
        await world.add(WaterType(name="Hydrogel"))
        headbar = await world.add(ProcedureType(name="Headbar implant", description="A headbar."))
        surgery = await world.add(
            Surgery(subject_id=ej1, start_time=at(10, 9), implant_weight=1.5, outcome_type="r")
        )
        await world.add(SurgeryProcedure(surgery_id=surgery.id, procedure_type_id=headbar.id))
        restriction = await world.add(
            WaterRestriction(subject_id=ej1, start_time=at(3, 9), water_type_id=water.id)
        )
        await world.add(WaterRestriction(subject_id=ej10, start_time=at(3, 9)))
        before = await world.add(
            Weighing(subject_id=ej1, date_time=at(4, 9), weight=25.0, user_id=users["alice"])
        )
        latest = await world.add(
            Weighing(subject_id=ej1, date_time=at(0), weight=23.0, user_id=users["alice"])
        )
        secret = await world.add(
            Weighing(subject_id=ej2, date_time=at(1), weight=30.0, user_id=users["eve"])
        )
        reward = await world.add(
            WaterAdministration(
                subject_id=ej1,
                date_time=at(0),
                water_administered=0.4,
                water_type_id=water.id,
                session_id=uuid.UUID(ids["ej1_morning"]),
                user_id=users["alice"],
            )
        )
        await world.add(
            WaterAdministration(
                subject_id=ej1, date_time=at(0), water_administered=0.2, water_type_id=water.id
            )
        )
        return {
            "water": water.id,
            "headbar": headbar.id,
            "surgery": surgery.id,
            "restriction": restriction.id,
            "restriction_start": at(3, 9),
            "before": before.id,
            "latest": latest.id,
            "secret": secret.id,
            "reward": reward.id,
        }

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]
