"""BrainCircuits' segment-property endpoint: every property of seed 004 in the seed's shapes,
64-bit ids exact in and out, unknown ids reported, clear 400s and 404s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    Connection,
    ConnectomeDataset,
    Materialization,
    Partnership,
    Segment,
    SegmentProperty,
)
from tests.conftest import Gateway
from tests.factories import build

A, B, C = 720575940634474894, 720575940630280234, 720575940620173737
URL = "/circuit/segment/property/{}?project=fruitfly_fafb_flywire"
STAMP = datetime(2023, 2, 22, 5, 0, 2)


@pytest.fixture
async def flywire(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Three neurons: A→B (60 synapses over two neuropils), A→C 42, C→A 70 — written as
    the import writes them: per-neuropil connections and per-pair totals."""

    async def recipe(world: Any) -> None:
        dataset = await world.add(ConnectomeDataset(name="fruitfly_fafb_flywire"))
        mat = await world.add(
            Materialization(dataset_id=dataset.id, version=783, timestamp=STAMP, valid=True)
        )
        stats = {A: (102, 2, 1, 1), B: (0, 60, 0, 1), C: (70, 42, 1, 1)}
        for seg, (nr_pre, nr_post, down, up) in stats.items():
            await world.add(
                Segment(
                    materialization_id=mat.id, id=seg, nt_type="ACH", nt_score=0.9,
                    ach_avg=0.9, gaba_avg=0.05, size_nm=10**10, nr_pre=nr_pre, nr_post=nr_post,
                    nr_downstream_partner=down, nr_upstream_partner=up,
                )
            )  # fmt: skip
        await world.add(
            SegmentProperty(materialization_id=mat.id, segment_id=A, name="soma",
                            value={"x": 1, "y": 2, "z": 3})
        )  # fmt: skip
        for pre, post, neuropil, count in (
            (A, B, "AL_L", 40), (A, B, "MB_CA_R", 20), (A, C, "LO_R", 42), (C, A, "LO_R", 70)
        ):  # fmt: skip
            await world.add(
                Connection(materialization_id=mat.id, pre_id=pre, post_id=post,
                           neuropil=neuropil, syn_count=count, nt_type="ACH")
            )  # fmt: skip
        for pre, post, count in ((A, B, 60), (A, C, 42), (C, A, 70)):
            await world.add(
                Partnership(materialization_id=mat.id, pre_id=pre, post_id=post, syn_count=count)
            )

    await build(sessionmaker, recipe)


async def _post(gateway: Gateway, prop: str, segments: list[Any], **headers: str) -> Any:
    return await gateway.client.post(URL.format(prop), json={"segments": segments}, headers=headers)


async def test_link_pre_answers_the_seeds_shape_keyed_by_string_ids(
    gateway: Gateway, flywire: None
) -> None:
    response = await _post(gateway, "link_pre", [A, str(B)])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "materialized_timestamp": 1677042002,
        "results": {
            str(A): {"nr_pre": 102, "nr_downstream_partner": 1},
            str(B): {"nr_pre": 0, "nr_downstream_partner": 0},
        },
        "unknown_segments": [],
    }


async def test_link_post_and_size_and_stored_properties(gateway: Gateway, flywire: None) -> None:
    post = (await _post(gateway, "link_post", [B])).json()["results"][str(B)]
    assert post == {"nr_post": 60, "nr_upstream_partner": 1}
    soma = (await _post(gateway, "soma", [A, C])).json()["results"]
    assert soma == {str(A): {"x": 1, "y": 2, "z": 3}, str(C): None}
    size = (await _post(gateway, "size", [A])).json()["results"][str(A)]
    assert size["size_nm"] == 10**10


async def test_connectivity_ranks_partners_by_synapse_count_with_string_ids(
    gateway: Gateway, flywire: None
) -> None:
    body = (await _post(gateway, "connectivity", [A])).json()
    assert body["results"][str(A)] == {
        "downstream": [
            {"segmentid": str(B), "synaptic_count": 60},
            {"segmentid": str(C), "synaptic_count": 42},
        ],
        "upstream": [{"segmentid": str(C), "synaptic_count": 70}],
    }


@pytest.mark.parametrize(
    "prop", ["size", "link_pre", "link_post", "neurotransmitter", "connectivity", "nucleus",
             "soma", "mitochondria", "dcv"],
)  # fmt: skip
async def test_every_seed_property_answers_for_every_known_id(
    gateway: Gateway, flywire: None, prop: str
) -> None:
    body = (await _post(gateway, prop, [A, B, C])).json()
    assert set(body["results"]) == {str(A), str(B), str(C)}
    assert body["materialized_timestamp"] == 1677042002


async def test_unknown_segment_ids_are_reported_not_dropped(
    gateway: Gateway, flywire: None
) -> None:
    body = (await _post(gateway, "link_pre", [A, 720575940000000001])).json()
    assert list(body["results"]) == [str(A)]
    assert body["unknown_segments"] == ["720575940000000001"]


async def test_the_cave_token_header_is_accepted(gateway: Gateway, flywire: None) -> None:
    response = await _post(gateway, "link_pre", [A], **{"Authorization-Cave": "Bearer cave123"})
    assert response.status_code == 200


async def test_unknown_property_or_project_is_a_clear_404(gateway: Gateway, flywire: None) -> None:
    prop = await _post(gateway, "axon_length", [A])
    assert prop.status_code == 404 and "axon_length" in prop.json()["detail"]
    project = await gateway.client.post(
        "/circuit/segment/property/size?project=nope", json={"segments": [A]}
    )
    assert project.status_code == 404 and "nope" in project.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{"segments": []}, {"segments": ["12ab"]}, {"segments": [1.5]}, {"ids": [1]},
     {"segments": [-1]}, {"segments": [2**64]}],
)  # fmt: skip
async def test_bad_segment_lists_are_400s(
    gateway: Gateway, flywire: None, body: dict[str, Any]
) -> None:
    response = await gateway.client.post(URL.format("size"), json=body)
    assert response.status_code == 400, response.text
    assert "detail" in response.json() or "segments" in response.json()


async def test_malformed_json_and_a_missing_project_are_400s(
    gateway: Gateway, flywire: None
) -> None:
    bad = await gateway.client.post(
        URL.format("size"), content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    missing = await gateway.client.post("/circuit/segment/property/size", json={"segments": [A]})
    assert missing.status_code == 400


async def test_batches_cost_the_same_statements_whatever_their_size(
    gateway: Gateway, flywire: None
) -> None:
    counts = []
    for batch in ([A], [A, B, C, *range(1, 500)]):
        gateway.statements.reset()
        assert (await _post(gateway, "connectivity", batch)).status_code == 200
        counts.append(gateway.statements.count)
    assert counts[0] == counts[1]
