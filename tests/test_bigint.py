"""64-bit segment ids survive GraphQL exactly (as strings), in both directions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import ConnectomeDataset, Materialization, Segment
from tests.conftest import Gateway
from tests.factories import build

SEGMENT_ID = 720575940634474894  # > 2^53: a JavaScript number would round it


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async def recipe(world: Any) -> None:
        dataset = await world.add(ConnectomeDataset(name="fruitfly_fafb_flywire"))
        mat = await world.add(
            Materialization(
                dataset_id=dataset.id, version=783, timestamp=datetime(2023, 9, 30), valid=True
            )
        )
        await world.add(Segment(materialization_id=mat.id, id=SEGMENT_ID, nr_pre=3847))
        await world.add(Segment(materialization_id=mat.id, id=SEGMENT_ID + 1, nr_pre=1))

    await build(sessionmaker, recipe)


async def test_bigint_round_trips_a_flywire_root_id_exactly(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    query = "query ($id: BigInt!) { segments(where: {id: {eq: $id}}) { id nrPre } }"
    for sent in (str(SEGMENT_ID), SEGMENT_ID):
        data = await gateway.data(query, {"id": sent})
        assert data["segments"] == [{"id": "720575940634474894", "nrPre": 3847}]


async def test_bigint_literal_in_a_query_is_exact(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    data = await gateway.data('{ segments(where: {id: {in: ["720575940634474895"]}}) { id } }')
    assert data["segments"] == [{"id": "720575940634474895"}]


async def test_bigint_rejects_text_that_is_not_a_number(gateway: Gateway) -> None:
    body = await gateway.graphql(
        "query ($id: BigInt!) { segments(where: {id: {eq: $id}}) { id } }", {"id": "12abc"}
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "BigInt" in error["message"]
    assert body.get("data") is None
