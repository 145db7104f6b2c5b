"""The Alyx ``/sessions`` list and the GraphQL ``sessions`` list of the same filter return the
same records in the same order, for the same caller: both surfaces parse into one query spec
and read through one list core."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import Settings
from tests.conftest import Gateway
from tests.rest.alyx.support import Caller, Lab, arrange

# (Alyx query string, GraphQL where:)
CASES = [
    ("subject=ej001", '{subjectNickname: {iexact: "ej001"}}'),
    ("lab=CortexLab", '{labName: {iexact: "CortexLab"}}'),
    ("projects=open", '{projectName: {icontains: "open"}}'),
    ("users=alice,eve", '{and: [{username: {eq: "alice"}}, {username: {eq: "eve"}}]}'),
    ("date_range=2024-03-01,2024-03-01",
     '{startTime: {gte: "2024-03-01T00:00:00", lt: "2024-03-02T00:00:00"}}'),
    ("task_protocol=training&number=1",
     '{taskProtocol: {icontains: "training"}, number: {eq: 1}}'),
    ("django=start_time__gte,2024-03-01T12:00:00", '{startTime: {gte: "2024-03-01T12:00:00"}}'),
    ("datasets=_ibl_trials.intervals.npy", '{datasetName: {eq: "_ibl_trials.intervals.npy"}}'),
    ("django=lab__name,cortexlab,~number,1", '{labName: {eq: "cortexlab"}, number: {ne: 1}}'),
    ("django=start_time__date,2024-03-01",
     '{startTime: {gte: "2024-03-01T00:00:00", lt: "2024-03-02T00:00:00"}}'),
    ("qc=not_set&exists=True", "{qc: {eq: 0}}"),  # an unknown parameter is ignored
]  # fmt: skip
# Signed-in callers: Alyx refuses anonymous session lists (tests/rest/alyx/test_access.py).
CALLERS = ["alice", "mallory", "ada"]


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Lab:
    return await arrange(sessionmaker, settings)


async def graphql_ids(gateway: Gateway, lab: Lab, who: str | None, where: str) -> Any:
    query = f"{{ sessions(where: {where}) {{ id }} }}"
    response = await gateway.client.post(
        "/graphql", json={"query": query}, headers=lab.headers(who)
    )
    body = response.json()
    assert "errors" not in body, body
    return [row["id"] for row in body["data"]["sessions"]]


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(("query", "where"), CASES)
async def test_alyx_and_graphql_session_lists_return_the_same_records(
    gateway: Gateway, lab: Lab, who: str | None, query: str, where: str
) -> None:
    alyx = [r["id"] for r in await Caller(gateway, lab).results(f"/sessions?{query}", who)]
    assert alyx == await graphql_ids(gateway, lab, who, where)


async def test_the_parity_cases_are_not_all_empty(gateway: Gateway, lab: Lab) -> None:
    """Guards the table above: an empty result on both sides would prove nothing."""
    for query, _ in CASES:
        assert await Caller(gateway, lab).results(f"/sessions?{query}", "alice"), query
