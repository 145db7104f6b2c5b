"""The demo's connectome comes from files: after ``seed_demo`` (what ``neurogate seed-demo``
runs) every one of seed 004's nine properties answers for demo segments through BrainCircuits'
endpoint, with the values the generated files hold, computed here the plain way."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.connectome.synthetic import PROPERTY_FILES
from gateway.demo import (
    CONNECTOME,
    CONNECTOME_TIMESTAMP,
    README_SEGMENT_IDS,
    seed_demo,
    write_connectome_files,
)
from gateway.settings import Settings
from gateway.storage import Storage
from resolvers.connectome import PROPERTIES
from tests.conftest import Gateway
from tests.connectome.conftest import ConnectomeFiles, Expected, expected_table

URL = "/circuit/segment/property/{}?project=" + CONNECTOME


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> ConnectomeFiles:
    """The demo's files written again: the same seed gives the same files."""
    files = write_connectome_files(tmp_path_factory.mktemp("demo"))
    return ConnectomeFiles(
        files["neurons"],
        files["connections"],
        files["cell_stats"],
        {name: files[name] for name in PROPERTY_FILES},
    )


@pytest.fixture
async def demo(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()


def _expected_answer(
    prop: str, segment_id: int, expected: Expected, tables: dict[str, dict[int, Any]]
) -> Any:
    if prop in tables:
        return tables[prop].get(segment_id)
    if prop == "link_pre":
        return expected.link_pre(segment_id)
    if prop == "link_post":
        return expected.link_post(segment_id)
    if prop == "connectivity":
        return {
            side: [{"segmentid": str(p), "synaptic_count": n} for p, n in partners]
            for side, partners in (
                ("downstream", expected.downstream(segment_id)),
                ("upstream", expected.upstream(segment_id)),
            )
        }
    raise AssertionError(prop)


async def test_every_property_answers_for_demo_segments_from_the_files(
    gateway: Gateway, demo: None, demo_files: ConnectomeFiles
) -> None:
    expected = Expected.of(demo_files)
    tables = {name: expected_table(path) for name, path in demo_files.properties.items()}
    ids = expected.by_degree()
    no_nucleus = next(i for i in ids if i not in tables["nucleus"])
    no_dcv = next(i for i in ids if i not in tables["dcv"])
    # The README's two, the hub, a neuron without a nucleus and one without vesicles.
    wanted = list(dict.fromkeys([*README_SEGMENT_IDS, ids[-1], no_nucleus, no_dcv]))
    assert set(README_SEGMENT_IDS) <= expected.segments
    for segment_id in README_SEGMENT_IDS:  # the README example shows partners both ways
        assert expected.downstream(segment_id) and expected.upstream(segment_id)
        assert segment_id in tables["nucleus"] and segment_id in tables["soma"]  # and these
    stamp = int(CONNECTOME_TIMESTAMP.replace(tzinfo=UTC).timestamp())

    for prop in PROPERTIES:
        response = await gateway.client.post(
            URL.format(prop), json={"segments": [str(i) for i in wanted]}
        )
        assert response.status_code == 200, (prop, response.text)
        body = response.json()
        assert body["materialized_timestamp"] == stamp
        assert body["unknown_segments"] == []
        assert list(body["results"]) == [str(i) for i in wanted], prop
        for segment_id in wanted:
            answer = body["results"][str(segment_id)]
            if prop == "size":
                assert answer["size_nm"] == expected.size_nm.get(segment_id)
            elif prop == "neurotransmitter":
                assert answer["nt_type"] == (expected.nt_type[segment_id] or None)
            else:
                want = _expected_answer(prop, segment_id, expected, tables)
                assert answer == want, (prop, segment_id)

    soma = tables["soma"][README_SEGMENT_IDS[0]]
    assert len(soma["position"]) == 3 and soma["supervoxel_id"] > 2**53
    assert tables["nucleus"].get(no_nucleus) is None and tables["dcv"].get(no_dcv) is None
