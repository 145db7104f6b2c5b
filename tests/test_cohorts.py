"""Cohorts (BrainSTEM ``stem/cohort``), added to the entity graph by declaration alone: their
table, their GraphQL type, lists and lookups, their relations both ways, and their
visibility (a cohort is seen with its project, its subjects as each is)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models.experiments import Cohort, CohortSubject
from tests.conftest import Gateway
from tests.factories import World, build

Sessionmaker = async_sessionmaker[AsyncSession]


async def _arrange(sessionmaker: Sessionmaker) -> dict[str, str]:
    async def recipe(world: World) -> dict[str, str]:
        public = await world.project(name="open")
        private = await world.project(name="closed", is_public=False)
        shown = [await world.subject(public, nickname=f"OPEN{i}") for i in range(3)]
        hidden = await world.subject(private, nickname="CLOSED1")
        trained = await world.add(Cohort(name="trained", project_id=public.id, tags=["a"]))
        naive = await world.add(Cohort(name="naive", project_id=public.id))
        secret = await world.add(Cohort(name="secret", project_id=private.id))
        for cohort, subjects in ((trained, shown[:2]), (naive, [shown[2], hidden])):
            for subject in subjects:
                await world.add(CohortSubject(cohort_id=cohort.id, subject_id=subject.id))
        await world.add(CohortSubject(cohort_id=secret.id, subject_id=shown[0].id))
        return {"trained": str(trained.id), "secret": str(secret.id)}

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


@pytest.fixture
async def cohorts(sessionmaker: Sessionmaker) -> dict[str, str]:
    return await _arrange(sessionmaker)


async def test_cohorts_list_with_their_project_and_subjects(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    data = await gateway.data(
        "{ cohorts { name tags project { name } subjects { nickname } } }"
    )
    assert data["cohorts"] == [
        # A subject of a private project is left out of a public cohort.
        {"name": "naive", "tags": [], "project": {"name": "open"},
         "subjects": [{"nickname": "OPEN2"}]},
        {"name": "trained", "tags": ["a"], "project": {"name": "open"},
         "subjects": [{"nickname": "OPEN0"}, {"nickname": "OPEN1"}]},
    ]  # fmt: skip


async def test_projects_and_subjects_reach_their_cohorts(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    data = await gateway.data(
        """{ projects { name cohorts { name } }
             subjectByNickname(nickname: "OPEN0") { cohorts { name } } }"""
    )
    both = [{"name": "naive"}, {"name": "trained"}]
    assert data["projects"] == [{"name": "open", "cohorts": both}]
    # Its cohort in the private project is not shown.
    assert data["subjectByNickname"] == {"cohorts": [{"name": "trained"}]}


async def test_a_cohort_of_a_private_project_is_not_found(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    query = "query ($id: ID!) { cohort(id: $id) { name } }"
    assert await gateway.data(query, {"id": cohorts["secret"]}) == {"cohort": None}
    assert await gateway.data(query, {"id": cohorts["trained"]}) == {"cohort": {"name": "trained"}}


async def test_cohorts_filter_through_their_project(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    query = '{ cohorts(where: {project: {name: {eq: "%s"}}}) { name } }'
    both = [{"name": "naive"}, {"name": "trained"}]
    assert await gateway.data(query % "open") == {"cohorts": both}
    assert await gateway.data(query % "closed") == {"cohorts": []}




async def test_brainstem_serves_cohorts_with_their_subjects_included(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    response = await gateway.client.get(
        "/api/public/stem/cohort/", params={"include[]": "subjects.*", "sort[]": "name"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 2 and [c["name"] for c in body["cohorts"]] == ["naive", "trained"]
    trained = body["cohorts"][1]
    assert trained["id"] == cohorts["trained"] and trained["tags"] == ["a"]
    assert {s["name"] for s in trained["subjects"]} == {"OPEN0", "OPEN1"}  # in id-list order
    naive = body["cohorts"][0]
    assert [s["name"] for s in naive["subjects"]] == ["OPEN2"]  # not the hidden one
    detail = await gateway.client.get(f"/api/public/stem/cohort/{cohorts['secret']}/")
    assert detail.status_code == 404


async def test_a_brainstem_project_lists_and_includes_its_cohorts(
    gateway: Gateway, cohorts: dict[str, str]
) -> None:
    listed = (await gateway.client.get("/api/public/stem/project/")).json()
    (project,) = listed["projects"]
    assert len(project["cohorts"]) == 2 and cohorts["trained"] in project["cohorts"]
    included = (
        await gateway.client.get("/api/public/stem/project/", params={"include[]": "cohorts.*"})
    ).json()
    assert {c["name"] for c in included["projects"][0]["cohorts"]} == {"naive", "trained"}
