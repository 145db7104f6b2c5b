"""Alyx records name their related rows (subject nickname, lab, projects, users, datasets)
through the per-request loaders: the SQL statements of a page do not grow with its length."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    FileUpload,
    ProjectMember,
    Session,
    SessionProject,
    SessionUser,
    Subject,
    SubjectProject,
)
from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.conftest import Gateway
from tests.factories import build

ROWS = 120  # subjects, sessions and datasets
PROJECTS = 12


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    owner = await make_user(sessionmaker, "owner@lab.org")
    token = await personal_token(sessionmaker, owner, now=utcnow())

    async def recipe(world: Any) -> None:
        labs = [await world.lab() for _ in range(3)]
        projects = [await world.project(is_public=i % 2 == 0) for i in range(PROJECTS)]
        for project in projects:
            await world.add(ProjectMember(project_id=project.id, user_id=owner, role="manager"))
        subject_rows = [
            {
                "nickname": f"N{i:04d}",
                "project_id": projects[i % PROJECTS].id,
                "lab_id": labs[i % 3].id,
                "responsible_user_id": owner,
            }
            for i in range(ROWS)
        ]
        subjects = (
            (await world.session.execute(insert(Subject).returning(Subject.id), subject_rows))
            .scalars()
            .all()
        )
        session_rows = [
            {
                "name": f"s{i:04d}",
                "project_id": projects[i % PROJECTS].id,
                "subject_id": subjects[i],
                "lab_id": labs[i % 3].id,
                "number": 1,
                "start_time": datetime(2024, 1, 1) + timedelta(minutes=i),
            }
            for i in range(ROWS)
        ]
        sessions = (
            (await world.session.execute(insert(Session).returning(Session.id), session_rows))
            .scalars()
            .all()
        )
        for links, key, keys in (
            (SubjectProject, "subject_id", subjects),
            (SessionProject, "session_id", sessions),
        ):
            await world.session.execute(
                insert(links),
                [
                    {key: row, "project_id": projects[(i + k) % PROJECTS].id}
                    for i, row in enumerate(keys)
                    for k in (0, 1)
                ],
            )
        await world.session.execute(
            insert(SessionUser), [{"session_id": s, "user_id": owner} for s in sessions]
        )
        await world.session.execute(
            insert(FileUpload),
            [
                {
                    "name": f"f{i}.npy",
                    "sha256": "0" * 64,
                    "size": 1,
                    "uploader_id": owner,
                    "session_id": s,
                }
                for i, s in enumerate(sessions)
            ],
        )

    await build(sessionmaker, recipe)
    return {"token": token}


# Authentication, the page and its count, then one statement per kind of related name:
# sessions - subjects, labs, project links, projects; subjects - the same and their sessions'
# project links, users, species, strains; datasets - sessions, subjects, labs, uploaders.
@pytest.mark.parametrize(("endpoint", "most"), [("sessions", 7), ("subjects", 11), ("datasets", 7)])
async def test_statements_do_not_grow_with_the_page(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], endpoint: str, most: int
) -> None:
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    # The first request renews the personal token's sliding expiry (one write): not measured.
    assert (await gateway.client.get("/subjects", headers=headers)).is_success
    counts = {}
    for limit in (2, 100):
        gateway.statements.reset()
        response = await gateway.client.get(f"/{endpoint}?limit={limit}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) == limit < body["count"]
        counts[limit] = gateway.statements.count
    assert counts[2] == counts[100], gateway.statements.statements
    # Authentication, the page, its count, and one statement per kind of related name.
    print("COUNT", endpoint, counts)
    assert counts[100] <= 12, gateway.statements.statements


async def test_a_session_detail_with_its_datasets_costs_a_handful_of_statements(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    page = (await gateway.client.get("/sessions?limit=1", headers=headers)).json()
    gateway.statements.reset()
    detail = await gateway.client.get(page["results"][0]["url"], headers=headers)
    assert detail.status_code == 200
    assert detail.json()["users"] == ["owner"]
    assert len(detail.json()["data_dataset_session_related"]) == 1
    # Authentication, the session, its subject, lab, project links, projects, experimenters
    # and their usernames, and its datasets.
    assert gateway.statements.count <= 9, gateway.statements.statements
