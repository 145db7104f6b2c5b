"""The connectome through GraphQL: partners, batches, time travel, and what they cost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import SegmentProperty, table
from tests.conftest import Gateway
from tests.connectome.conftest import DATASET, ConnectomeFiles, Expected, load

SEGMENT = """
query ($id: BigInt!, $first: Int, $min: Int! = 1, $objects: Boolean! = true) {
  dataset(name: "fruitfly_fafb_flywire") {
    name
    materialization { version timestamp }
    segment(id: $id) {
      id nrPre nrPost nrUpstreamPartner nrDownstreamPartner ntType sizeNm
      downstream(first: $first, minSynapses: $min) {
        ids synapseCounts total truncated partners @include(if: $objects) { id synapseCount }
      }
      upstream(first: $first, minSynapses: $min) { ids synapseCounts total truncated }
    }
  }
}
"""

BATCH = """
query ($ids: [BigInt!]!) {
  dataset(name: "fruitfly_fafb_flywire") {
    segments(ids: $ids) {
      segments {
        id nrPre ntScores { ach gaba }
        properties { name value }
        downstream(first: 3) { ids synapseCounts total }
        upstream(first: 3, minSynapses: 2) { ids total }
      }
      unknownIds
    }
  }
}
"""


def _ranked(partners: list[tuple[int, int]], first: int | None = None) -> dict[str, Any]:
    shown = partners if first is None else partners[:first]
    return {
        "ids": [str(partner) for partner, _ in shown],
        "synapseCounts": [count for _, count in shown],
        "total": len(partners),
        "truncated": len(shown) < len(partners),
    }


async def test_a_hubs_partners_come_strongest_first_then_by_id_and_say_they_were_cut(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    hub = expected.by_degree()[-1]

    data = await gateway.data(SEGMENT, {"id": str(hub), "first": 5})

    view = data["dataset"]
    assert view["name"] == DATASET
    assert view["materialization"] == {"version": 1, "timestamp": "2023-09-30T05:00:00Z"}
    segment = view["segment"]
    assert segment["id"] == str(hub)  # 64-bit ids travel as strings, exactly
    assert segment["nrPre"] == expected.link_pre(hub)["nr_pre"]
    assert segment["nrDownstreamPartner"] == expected.link_pre(hub)["nr_downstream_partner"]
    assert segment["nrUpstreamPartner"] == expected.link_post(hub)["nr_upstream_partner"]
    assert segment["ntType"] == expected.nt_type[hub]
    downstream = segment.pop("downstream")
    partners = downstream.pop("partners")
    assert downstream == _ranked(expected.downstream(hub), 5)
    assert downstream["truncated"] is True
    assert partners == [
        {"id": i, "synapseCount": n}
        for i, n in zip(downstream["ids"], downstream["synapseCounts"], strict=True)
    ]
    assert segment["upstream"] == _ranked(expected.upstream(hub), 5)


async def test_min_synapses_and_first_null_give_every_strong_enough_partner(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    hub = expected.by_degree()[-1]

    data = await gateway.data(SEGMENT, {"id": str(hub), "first": None, "min": 5, "objects": False})

    strong = [(partner, n) for partner, n in expected.downstream(hub) if n >= 5]
    assert data["dataset"]["segment"]["downstream"] == _ranked(strong)
    assert 0 < len(strong) < len(expected.downstream(hub))


async def test_a_batch_keeps_the_order_asked_and_reports_unknown_ids(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    known = expected.by_degree()[::40]
    unknown = [2**62 + 1, 720575940000000000]
    asked = [known[2], unknown[0], known[0], known[1], unknown[1], known[0]]

    data = await gateway.data(BATCH, {"ids": [str(i) for i in asked]})

    batch = data["dataset"]["segments"]
    assert [s["id"] for s in batch["segments"]] == [str(known[i]) for i in (2, 0, 1)]
    assert batch["unknownIds"] == [str(i) for i in unknown]
    for segment in batch["segments"]:
        segment_id = int(segment["id"])
        assert segment["downstream"] == {
            key: value
            for key, value in _ranked(expected.downstream(segment_id), 3).items()
            if key != "truncated"
        }
        strong_upstream = [(p, n) for p, n in expected.upstream(segment_id) if n >= 2]
        assert segment["upstream"] == {
            "ids": [str(p) for p, _ in strong_upstream[:3]],
            "total": len(strong_upstream),
        }
        assert segment["properties"] == []


async def test_a_batch_of_150_costs_the_statements_a_batch_of_5_does(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    ids = [str(i) for i in expected.by_degree()]

    counts = []
    for size in (5, 150):
        gateway.statements.reset()
        data = await gateway.data(BATCH, {"ids": ids[:size]})
        assert len(data["dataset"]["segments"]["segments"]) == size
        counts.append(gateway.statements.count)

    assert counts[0] == counts[1]
    # materialization, segments, downstream, upstream, properties
    assert counts[1] <= 5, gateway.statements.statements


async def test_partner_objects_are_capped_but_the_compact_lists_are_not(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    hub = str(expected.by_degree()[-1])
    query = """query ($id: BigInt!) { dataset(name: "fruitfly_fafb_flywire") {
      segment(id: $id) { downstream(first: 5000) { ids synapseCounts compact total %s } } } }"""

    refused = await gateway.graphql(query % "partners { id }", {"id": hub})
    compact = await gateway.data(query % "", {"id": hub})

    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first <= 1000" in refused["errors"][0]["message"]
    downstream = compact["dataset"]["segment"]["downstream"]
    assert downstream["compact"] == {
        "ids": downstream["ids"],
        "synapseCounts": downstream["synapseCounts"],
    }
    ranked = _ranked(expected.downstream(int(hub)))
    assert (downstream["ids"], downstream["synapseCounts"], downstream["total"]) == (
        ranked["ids"],
        ranked["synapseCounts"],
        ranked["total"],
    )


async def test_time_travel_picks_the_newest_materialization_at_or_before_a_timestamp(
    gateway: Gateway,
    database_url: str,
    small_set: ConnectomeFiles,
    other_set: ConnectomeFiles,
    expected: Expected,
) -> None:
    await load(database_url, small_set, timestamp=datetime(2023, 1, 1))
    await load(database_url, other_set, timestamp=datetime(2024, 1, 1))
    only_in_first = str(expected.by_degree()[-1])
    query = """query ($id: BigInt!, $v: Int, $at: DateTime) {
      dataset(name: "fruitfly_fafb_flywire", materialization: $v, timestamp: $at) {
        materialization { version } materializations { version timestamp }
        segment(id: $id) { id } } }"""

    async def ask(**arguments: Any) -> Any:
        body = await gateway.graphql(query, {"id": only_in_first, **arguments})
        if "errors" in body:
            return body["errors"][0]["extensions"]["code"]
        view = body["data"]["dataset"]
        return view["materialization"]["version"], view["segment"] is not None

    assert await ask() == (2, False)  # the newest by default
    assert await ask(v=1) == (1, True)
    assert await ask(at="2023-06-01T00:00:00Z") == (1, True)
    assert await ask(at="2024-01-01T00:00:00Z") == (2, False)
    assert await ask(at="2024-01-01T01:00:00+02:00") == (1, True)  # 23:00 UTC the day before
    assert await ask(at="2022-12-31T23:59:59Z") == "NOT_FOUND"
    assert await ask(v=3) == "NOT_FOUND"
    assert await ask(v=1, at="2024-01-01T00:00:00Z") == "BAD_USER_INPUT"
    listed = await gateway.data(query, {"id": only_in_first})
    assert listed["dataset"]["materializations"] == [
        {"version": 2, "timestamp": "2024-01-01T00:00:00Z"},
        {"version": 1, "timestamp": "2023-01-01T00:00:00Z"},
    ]


async def test_an_unknown_dataset_or_segment(
    gateway: Gateway, database_url: str, small_set: ConnectomeFiles
) -> None:
    await load(database_url, small_set)

    missing = await gateway.graphql('{ dataset(name: "nope") { name } }')
    segment = await gateway.data(
        '{ dataset(name: "fruitfly_fafb_flywire") { segment(id: "1") { id } } }'
    )

    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing["data"] == {"dataset": None}
    assert segment == {"dataset": {"segment": None}}


async def test_a_segment_is_the_graphs_segment_with_its_properties_and_materialization(
    gateway: Gateway,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    expected: Expected,
) -> None:
    done = await load(database_url, small_set)
    hub, quiet = expected.by_degree()[-1], expected.by_degree()[0]
    async with sessionmaker() as session:
        await session.execute(
            insert(table(SegmentProperty)),
            [
                {"materialization_id": done.materialization_id, "segment_id": hub, **values}
                for values in (
                    {"name": "nucleus", "value": {"id": 7}},
                    {"name": "soma", "value": {"position": [1, 2, 3]}},
                )
            ],
        )
        await session.commit()
    query = """query ($ids: [BigInt!]!) { dataset(name: "fruitfly_fafb_flywire") {
      materialization { __typename version valid dataset { name } }
      segments(ids: $ids) { segments {
        __typename id achAvg ntScores { ach }
        materialization { version }
        properties(where: {name: {in: ["soma", "dcv"]}}) { name value }
        all: properties { name }
      } } } }"""

    data = await gateway.data(query, {"ids": [str(hub), str(quiet)]})

    view = data["dataset"]
    assert view["materialization"] == {
        "__typename": "Materialization",
        "version": 1,
        "valid": True,
        "dataset": {"name": DATASET},
    }
    first, second = view["segments"]["segments"]
    assert first["__typename"] == "Segment"
    assert first["ntScores"] == {"ach": first["achAvg"]}
    assert first["materialization"] == {"version": 1}
    assert first["properties"] == [{"name": "soma", "value": {"position": [1, 2, 3]}}]
    assert first["all"] == [{"name": "nucleus"}, {"name": "soma"}]
    assert (second["properties"], second["all"]) == ([], [])


async def test_segments_listed_at_the_root_rank_their_partners_at_a_fixed_cost(
    make_gateway: Any, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await load(database_url, small_set)
    gateway = await make_gateway(max_page_size=1000)
    query = """query ($limit: Int!) { segments(limit: $limit, orderBy: [{field: ID}]) {
      id ntScores { ach } downstream(first: 2) { ids total } upstream { total }
      properties { name } } }"""

    counts = []
    for limit in (5, 150):
        gateway.statements.reset()
        data = await gateway.data(query, {"limit": limit})
        assert len(data["segments"]) == limit
        counts.append(gateway.statements.count)

    for segment in data["segments"]:
        segment_id = int(segment["id"])
        assert segment["downstream"] == {
            "ids": [str(p) for p, _ in expected.downstream(segment_id)[:2]],
            "total": len(expected.downstream(segment_id)),
        }
        assert segment["upstream"] == {"total": len(expected.upstream(segment_id))}
    # segments, downstream, upstream, properties
    assert counts == [4, 4], gateway.statements.statements
