"""BrainCircuits' segment properties as the domain layer answers them (the REST endpoint's
source), and partner rankings called directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.db.models import SegmentProperty, table
from gateway.errors import BadRequest
from gateway.settings import Settings
from resolvers.connectome import PROPERTIES, segment_properties
from resolvers.context import Context
from resolvers.partners import Direction, partners, partners_batch
from tests.connectome.conftest import DATASET, ConnectomeFiles, Expected, load


@pytest.fixture
def ctx(database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> Context:
    return Context.build(Settings(database_url=database_url), sessionmaker)


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def _connectivity(partners: list[tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"segmentid": str(p), "synaptic_count": n} for p, n in partners]


async def test_every_property_of_a_batch_with_unknown_ids_reported(
    ctx: Context,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    expected: Expected,
) -> None:
    done = await load(database_url, small_set, timestamp=datetime(2023, 2, 25, 5, 0, 2))
    hub, quiet = expected.by_degree()[-1], expected.by_degree()[0]
    async with sessionmaker() as session:
        await session.execute(
            insert(table(SegmentProperty)),
            [
                {
                    "materialization_id": done.materialization_id,
                    "segment_id": hub,
                    "name": "nucleus",
                    "value": {"id": 7, "volume_um3": 81.5},
                },
                {
                    "materialization_id": done.materialization_id,
                    "segment_id": hub,
                    "name": "soma",
                    "value": {"position": [1, 2, 3]},
                },
            ],
        )
        await session.commit()

    answer = await segment_properties(ctx, DATASET, [quiet, 17, hub, quiet], PROPERTIES)

    assert answer.materialized_timestamp == 1677301202  # UNIX seconds, as BrainCircuits sends
    assert answer.unknown == [17]
    assert list(answer.results) == [quiet, hub]
    result = answer.results[hub]
    assert result["link_pre"] == expected.link_pre(hub)
    assert result["link_post"] == expected.link_post(hub)
    assert result["size"]["size_nm"] == expected.size_nm[hub]
    assert result["neurotransmitter"]["nt_type"] == expected.nt_type[hub]
    assert set(result["neurotransmitter"]["scores"]) == {"ach", "gaba", "glut", "oct", "ser", "da"}
    assert result["connectivity"] == {
        "downstream": _connectivity(expected.downstream(hub)),
        "upstream": _connectivity(expected.upstream(hub)),
    }
    assert result["nucleus"] == {"id": 7, "volume_um3": 81.5}
    assert result["soma"] == {"position": [1, 2, 3]}
    assert result["mitochondria"] is None
    assert answer.results[quiet]["nucleus"] is None


async def test_a_property_batch_costs_the_same_statements_whatever_its_size(
    ctx: Context,
    database_url: str,
    engine: AsyncEngine,
    small_set: ConnectomeFiles,
    expected: Expected,
) -> None:
    await load(database_url, small_set)
    ids = expected.by_degree()

    counts = []
    for size in (3, 180):
        with counting(engine) as statements:
            answer = await segment_properties(ctx, DATASET, ids[:size], PROPERTIES)
        assert len(answer.results) == size
        counts.append(len(statements))

    assert counts == [5, 5]  # materialization, segments, stored properties, down, up


async def test_partner_rankings_for_one_segment_and_for_a_batch_agree(
    ctx: Context, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    done = await load(database_url, small_set)
    m = done.materialization_id
    ids = expected.by_degree()[-12:]

    batch = await partners_batch(ctx, m, ids, Direction.UPSTREAM, first=4, min_synapses=2)

    for segment_id in ids:
        one = await partners(ctx, m, segment_id, Direction.UPSTREAM, first=4, min_synapses=2)
        assert batch[segment_id] == one
        strong = [(p, n) for p, n in expected.upstream(segment_id) if n >= 2]
        assert list(zip(one.ids, one.synapse_counts, strict=True)) == strong[:4]
        assert one.total == len(strong)
    nothing = await partners(ctx, m, ids[-1], Direction.DOWNSTREAM, first=0)
    assert (nothing.ids, nothing.total, nothing.truncated) == (
        [],
        len(expected.downstream(ids[-1])),
        True,
    )
    none_in_batch = await partners_batch(ctx, m, ids[:2], Direction.DOWNSTREAM, first=0)
    assert [p.total for p in none_in_batch.values()] == [
        len(expected.downstream(i)) for i in ids[:2]
    ]


@pytest.mark.parametrize(
    ("ids", "properties", "message"),
    [
        ([1], ["link_pre", "colour"], "Unknown segment property 'colour'"),
        ([1], [], "Unknown segment property"),
        (["720575940634474894"], ["size"], "must be integers"),
        ([-1], ["size"], "outside 0 to 2^63-1"),
        ([2**63], ["size"], "outside 0 to 2^63-1"),
    ],
)
async def test_bad_input_is_a_bad_request(
    ctx: Context, ids: list[Any], properties: list[str], message: str
) -> None:
    with pytest.raises(BadRequest, match=message.replace("^", r"\^")):
        await segment_properties(ctx, DATASET, ids, properties)
