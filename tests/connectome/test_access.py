"""Who may read a connectome, and which materialization answers: a dataset of a private
project is its members' (401 without a token, on BrainCircuits' endpoint and in GraphQL);
a CAVE-managed one needs ``Authorization-Cave``; a version or a timestamp picks the
materialization, and ``materialized_timestamp`` says which answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import ConnectomeDataset, ProjectMember, table
from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.conftest import Gateway
from tests.connectome.conftest import DATASET, ConnectomeFiles, Expected, load
from tests.factories import build

FIRST, SECOND = datetime(2023, 1, 1), datetime(2024, 1, 1)
URL = f"/circuit/segment/property/link_pre?project={DATASET}"


def unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


@pytest.fixture
async def two_snapshots(
    database_url: str, small_set: ConnectomeFiles, other_set: ConnectomeFiles
) -> None:
    await load(database_url, small_set, timestamp=FIRST)
    await load(database_url, other_set, timestamp=SECOND)


async def _set_dataset(sessionmaker: async_sessionmaker[AsyncSession], **values: Any) -> None:
    async with sessionmaker() as session:
        datasets = table(ConnectomeDataset)
        await session.execute(update(datasets).where(datasets.c.name == DATASET).values(**values))
        await session.commit()


@pytest.fixture
async def private(
    two_snapshots: None, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    """The dataset made private to a project: tokens of a member and of a stranger."""
    member = await make_user(sessionmaker, "member@lab.org")
    stranger = await make_user(sessionmaker, "stranger@lab.org")

    async def recipe(world: Any) -> Any:
        project = await world.project(is_public=False)
        await world.add(ProjectMember(project_id=project.id, user_id=member, role="manager"))
        return project.id

    await _set_dataset(sessionmaker, project_id=await build(sessionmaker, recipe))
    return {
        "project": str(await _project_of(sessionmaker)),
        "member": await personal_token(sessionmaker, member, now=utcnow()),
        "stranger": await personal_token(sessionmaker, stranger, now=utcnow()),
    }


async def _project_of(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
    async with sessionmaker() as session:
        datasets = table(ConnectomeDataset)
        return await session.scalar(select(datasets.c.project_id).where(datasets.c.name == DATASET))


async def _post(gateway: Gateway, segments: list[Any], url: str = URL, **headers: str) -> Any:
    return await gateway.client.post(url, json={"segments": segments}, headers=headers)


async def test_a_private_dataset_answers_its_members_only(
    gateway: Gateway, private: dict[str, str], expected: Expected
) -> None:
    hub = str(expected.by_degree()[-1])

    anonymous = await _post(gateway, [hub])
    forged = await _post(gateway, [hub], **bearer("not-a-token"))
    stranger = await _post(gateway, [hub], **bearer(private["stranger"]))
    member = await _post(gateway, [hub], URL + "&version=1", **bearer(private["member"]))

    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": f"Dataset '{DATASET}' is private: send an access token."}
    assert forged.status_code == 401 and set(forged.json()) == {"detail"}
    assert stranger.status_code == 404 and set(stranger.json()) == {"detail"}
    assert member.status_code == 200, member.text
    assert member.json() == {
        "materialized_timestamp": unix(FIRST),
        "results": {hub: expected.link_pre(int(hub))},
        "unknown_segments": [],
    }


async def test_graphql_honours_the_same_visibility(
    gateway: Gateway, private: dict[str, str], expected: Expected
) -> None:
    query = """query ($id: BigInt!) {
      dataset(name: "fruitfly_fafb_flywire", materialization: 1) {
        materializedTimestamp segment(id: $id) { nrPre } }
    }"""
    lists = "{ connectomeDatasets { name } materializations { version } segments { id } }"
    hub = str(expected.by_degree()[-1])

    async def ask(token: str | None, document: str, variables: Any = None) -> Any:
        headers = bearer(token) if token else {}
        response = await gateway.client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        return response.json()

    anonymous = await ask(None, query, {"id": hub})
    stranger = await ask(private["stranger"], query, {"id": hub})
    member = await ask(private["member"], query, {"id": hub})

    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert member["data"]["dataset"] == {
        "materializedTimestamp": unix(FIRST),
        "segment": {"nrPre": expected.link_pre(int(hub))["nr_pre"]},
    }
    # The entity graph's lists apply the rule too: the dataset, its snapshots, its segments.
    assert (await ask(None, lists))["data"] == {
        "connectomeDatasets": [],
        "materializations": [],
        "segments": [],
    }
    seen = (await ask(private["member"], lists))["data"]
    assert [d["name"] for d in seen["connectomeDatasets"]] == [DATASET]
    assert sorted(m["version"] for m in seen["materializations"]) == [1, 2]
    assert len(seen["segments"]) > 0


async def test_a_cave_managed_dataset_needs_the_cave_header(
    gateway: Gateway,
    two_snapshots: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    expected: Expected,
) -> None:
    hub = str(expected.by_degree()[-1])
    assert (await _post(gateway, [hub])).status_code == 200  # not CAVE-managed: no header
    assert (await _post(gateway, [hub], **{"Authorization-Cave": "Bearer x"})).status_code == 200

    await _set_dataset(sessionmaker, cave_managed=True)
    without = await _post(gateway, [hub])
    blank = await _post(gateway, [hub], **{"Authorization-Cave": " "})
    given = await _post(gateway, [hub], **{"Authorization-Cave": "Bearer anything"})

    assert without.status_code == 401
    assert without.json() == {
        "detail": f"Dataset '{DATASET}' is managed by CAVE: send an Authorization-Cave header."
    }
    assert blank.status_code == 401
    assert given.status_code == 200, given.text


@pytest.mark.parametrize(
    ("query", "answered_by"),
    [
        ("", SECOND),
        ("&materialization_version=1", FIRST),
        ("&version=2", SECOND),
        (f"&timestamp={unix(FIRST) + 3600}", FIRST),
        (f"&timestamp={unix(SECOND)}", SECOND),
        (f"&timestamp={unix(SECOND) - 0.5}", FIRST),
        ("&timestamp=2023-06-01T00:00:00Z", FIRST),
        ("&timestamp=2024-01-01T01:00:00%2B02:00", FIRST),  # 23:00 UTC the day before
        ("&timestamp=2024-01-01T00:00:00", SECOND),  # no offset: UTC
    ],
)
async def test_a_version_or_a_timestamp_chooses_the_materialization(
    gateway: Gateway, two_snapshots: None, expected: Expected, query: str, answered_by: datetime
) -> None:
    response = await _post(gateway, [str(expected.by_degree()[-1])], URL + query)
    assert response.status_code == 200, response.text
    assert response.json()["materialized_timestamp"] == unix(answered_by)


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ("&version=3", 404, f"Dataset '{DATASET}' has no materialization 3."),
        ("&timestamp=1000", 404, f"Dataset '{DATASET}' has no materialization at or before"),
        ("&version=1&timestamp=1700000000", 400, "Give a materialization version or a timestamp"),
        ("&version=1&materialization_version=1", 400, "Give materialization_version or version,"),
        ("&version=-1", 400, "version must be a materialization number"),
        ("&version=99999999999", 400, "version must be a materialization number"),
        ("&timestamp=yesterday", 400, "timestamp must be UNIX seconds or an ISO 8601"),
        ("&timestamp=nan", 400, "timestamp must be UNIX seconds"),
        ("&timestamp=1e300", 400, "timestamp must be UNIX seconds"),
        ("&timestamp=" + "1" * 41, 400, "timestamp must be UNIX seconds"),
    ],
)
async def test_a_bad_choice_is_refused_in_braincircuits_format(
    gateway: Gateway, two_snapshots: None, query: str, status: int, detail: str
) -> None:
    response = await _post(gateway, ["1"], URL + query)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)


async def test_a_project_holding_a_private_dataset_cannot_be_deleted(
    gateway: Gateway, private: dict[str, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await gateway.client.post(
        "/graphql",
        json={
            "query": """mutation ($id: ID!) { deleteProject(id: $id) {
                __typename ... on ConflictError { message } } }""",
            "variables": {"id": private["project"]},
        },
        headers=bearer(private["member"]),
    )

    assert response.json()["data"]["deleteProject"] == {
        "__typename": "ConflictError",
        "message": f"The project holds connectome dataset '{DATASET}': give it another project "
        "or make it public first (neurogate connectome-access).",
    }
    assert str(await _project_of(sessionmaker)) == private["project"]  # still private
