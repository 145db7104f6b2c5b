"""The demo data set holds a slice of every BrainSTEM model it serves, and each structured
record in it (procedures, logs, equipment, stocks, ...) satisfies the schema of its type, as
a write through the gateway would have checked it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.demo import seed_demo
from gateway.settings import Settings
from gateway.storage import Storage
from resolvers import details
from resolvers.catalog import ENTITIES

NEW_MODELS = (
    "Equipment", "ConsumableStock", "ProcedureLog", "License", "Protocol", "Consumable",
    "Breeding",
)  # fmt: skip


async def test_the_demo_holds_each_model_with_details_its_schema_accepts(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()
        for name in NEW_MODELS:
            rows = ENTITIES[name].table
            count = (await session.execute(select(func.count()).select_from(rows))).scalar()
            assert count, f"the demo has no {name}"
        checked = 0
        for entity in ENTITIES.values():
            for pair in entity.structured:
                rows = entity.table
                query = select(rows.c[pair.selector], rows.c[pair.payload], rows.c[pair.version])
                for kind, payload, version in (await session.execute(query)).all():
                    assert details.check(pair, kind, payload) == version, (entity.name, kind)
                    checked += 1
    assert checked > 100
