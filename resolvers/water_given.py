"""Writing water given to a subject (Alyx's ``WaterAdministration``): a record written without
a water type gets the one Alyx's model gives it on every save, the water type of the subject's
latest water restriction (even none), else the type named "Water" when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.db.models import WaterAdministration, WaterRestriction, WaterType, table
from resolvers import declared
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import Mode

WATER_ADMINISTRATION = ENTITIES["WaterAdministration"]
DEFAULT_WATER_TYPE = "Water"  # Alyx's ``_default_water_type``
_given, _restrictions, _types = (
    table(WaterAdministration),
    table(WaterRestriction),
    table(WaterType),
)


async def _default_water_type(conn: AsyncConnection, key: Any, user_id: int) -> None:
    """Give the record ``key`` Alyx's default water type when it has none."""
    given = (
        await conn.execute(
            select(_given.c.subject_id).where(_given.c.id == key, _given.c.water_type_id.is_(None))
        )
    ).first()
    if given is None:
        return
    # Alyx's ``order_by('start_time').last()``: on PostgreSQL, descending puts nulls first.
    latest = (
        await conn.execute(
            select(_restrictions.c.water_type_id)
            .where(_restrictions.c.subject_id == given.subject_id)
            .order_by(_restrictions.c.start_time.desc().nulls_first(), _restrictions.c.id)
            .limit(1)
        )
    ).first()
    if latest is not None:
        water_type = latest.water_type_id
    else:
        water_type = (
            await conn.execute(select(_types.c.id).where(_types.c.name == DEFAULT_WATER_TYPE))
        ).scalar()
    if water_type is not None:
        fill = update(_given).where(_given.c.id == key).values(water_type_id=water_type)
        await conn.execute(fill)


async def create_water_administration(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
    return await declared.create_record(
        ctx, WATER_ADMINISTRATION, values, then=_default_water_type
    )


async def change_water_administration(
    ctx: Context, key: Any, values: Mapping[str, Any], mode: Mode
) -> Row[Any]:
    return await declared.change_record(
        ctx, WATER_ADMINISTRATION, key, values, mode, then=_default_water_type
    )

