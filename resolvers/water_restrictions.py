"""Writing a water restriction (Alyx's ``WaterRestriction``) with the values Alyx's model gives
one: created without naming a water type, the type named "Water" (the field's default, which
water given during it then defaults to); saved without a reference weight (0), the subject's
last weighing on or before the day it starts, when that is less than a week from its start
(``WaterRestriction.save``; Alyx fails the save otherwise, here the weight stays 0 and the
water figures take the last weighing before the start as they read it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.db.models import WaterRestriction, WaterType, Weighing, table
from resolvers import declared
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.water_given import DEFAULT_WATER_TYPE

WATER_RESTRICTION = ENTITIES["WaterRestriction"]
_restrictions, _types, _weighings = table(WaterRestriction), table(WaterType), table(Weighing)
_WEIGHED_WITHIN = timedelta(days=7)


async def _water_by_default(conn: AsyncConnection, key: Any) -> None:
    water = select(_types.c.id).where(_types.c.name == DEFAULT_WATER_TYPE).scalar_subquery()
    fill = update(_restrictions).where(_restrictions.c.id == key).values(water_type_id=water)
    await conn.execute(fill)


async def _reference_weight_by_default(conn: AsyncConnection, key: Any, user_id: int) -> None:
    query = select(_restrictions.c.subject_id, _restrictions.c.start_time).where(
        _restrictions.c.id == key, _restrictions.c.reference_weight == 0
    )
    restriction = (await conn.execute(query)).first()
    if restriction is None or restriction.start_time is None:
        return
    start: datetime = restriction.start_time
    last = (
        await conn.execute(
            select(_weighings.c.date_time, _weighings.c.weight)
            .where(
                _weighings.c.subject_id == restriction.subject_id,
                _weighings.c.date_time <= datetime.combine(start.date(), time.max),
            )
            .order_by(_weighings.c.date_time.desc(), _weighings.c.id)
            .limit(1)
        )
    ).first()
    if last is not None and abs(last.date_time - start) < _WEIGHED_WITHIN:
        fill = update(_restrictions).where(_restrictions.c.id == key)
        await conn.execute(fill.values(reference_weight=last.weight))


async def create_water_restriction(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
    """A water restriction; one not naming its water type (null names none) is of the type
    named "Water" (none when there is no such type)."""
    by_default = "water_type_id" not in values

    async def then(conn: AsyncConnection, key: Any, user_id: int) -> None:
        if by_default:
            await _water_by_default(conn, key)
        await _reference_weight_by_default(conn, key, user_id)

    return await declared.create_record(ctx, WATER_RESTRICTION, values, then=then)


async def change_water_restriction(
    ctx: Context, key: Any, values: Mapping[str, Any], mode: Mode
) -> Row[Any]:
    return await declared.change_record(
        ctx, WATER_RESTRICTION, key, values, mode, then=_reference_weight_by_default
    )
