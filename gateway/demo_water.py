"""The demo's water control (Alyx ``actions``): water and procedure types, and one subject
under water restriction since its training began, weighed every day and given water every
day (in its sessions, and as a supplement), after a headbar surgery. Its figures on the Alyx
surface (``/subjects/<nickname>``, ``/water-requirement/<nickname>``) come from these rows."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import (
    ProcedureType,
    Surgery,
    SurgeryProcedure,
    WaterAdministration,
    WaterRestriction,
    WaterType,
    Weighing,
)

WATER_TYPES = ("Water", "Hydrogel", "Water 10% Sucrose", "Citric Acid Water 2%")
PROCEDURE_TYPES = {
    "Headbar implant": "A headbar fixed to the skull for head-fixed training.",
    "Craniotomy": "An opening in the skull over the recording site.",
    "Behavior training/tasks": "Training on a behavioural task.",
}
DAYS = 14  # days weighed and given water, from two days before the restriction


async def seed_water_control(
    session: AsyncSession,
    subject_id: uuid.UUID,
    user_id: int,
    lab_id: uuid.UUID,
    start: datetime,
    sessions: Sequence[uuid.UUID],
    *,
    seed: int,
) -> None:
    """The reference lists, and ``subject_id`` under water restriction from ``start``."""
    rng = random.Random(seed)  # its own, so the rest of the demo draws what it always drew
    types = [WaterType(name=name) for name in WATER_TYPES]
    procedures = [ProcedureType(name=n, description=d) for n, d in PROCEDURE_TYPES.items()]
    session.add_all([*types, *procedures])
    await session.flush()
    water = types[0].id
    surgery = Surgery(
        subject_id=subject_id,
        lab_id=lab_id,
        start_time=start - timedelta(days=14),
        end_time=start - timedelta(days=14, hours=-2),
        outcome_type="r",
        implant_weight=1.2,
        narrative="Headbar and craniotomy over left visual cortex.",
    )
    session.add(surgery)
    await session.flush()
    session.add_all(
        SurgeryProcedure(surgery_id=surgery.id, procedure_type_id=p.id) for p in procedures[:2]
    )
    session.add(WaterRestriction(subject_id=subject_id, start_time=start, water_type_id=water))
    weight = 24.0
    for day in range(DAYS):
        when = start + timedelta(days=day - 2, hours=-1)
        weight = round(weight - (0.35 if day < 6 else -0.1) + rng.uniform(-0.2, 0.2), 1)
        session.add(Weighing(subject_id=subject_id, user_id=user_id, date_time=when, weight=weight))
        if day < 2:
            continue
        in_session = sessions[day - 2] if day - 2 < len(sessions) else None
        if in_session is not None:
            session.add(
                WaterAdministration(
                    subject_id=subject_id,
                    user_id=user_id,
                    session_id=in_session,
                    date_time=when + timedelta(hours=3),
                    water_administered=round(rng.uniform(0.5, 0.8), 2),
                    water_type_id=water,
                )
            )
        session.add(
            WaterAdministration(
                subject_id=subject_id,
                user_id=user_id,
                date_time=when + timedelta(hours=6),
                water_administered=round(rng.uniform(0.2, 0.4), 2),
                water_type_id=types[1].id if day % 3 == 0 else water,
            )
        )
