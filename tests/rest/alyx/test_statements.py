"""Alyx records read their related rows (subject nickname, lab, projects, users, datasets)
through the entity graph's read path: to-one relations folded into the page's statement, one
statement per level of to-many relations, so the SQL statements of a page do not grow with its
length, nor those of a record with the number of rows related to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    FileUpload,
    LabMembership,
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
LABS = USERS = 6


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    owner = await make_user(sessionmaker, "owner@lab.org")
    token = await personal_token(sessionmaker, owner, now=utcnow())

    async def recipe(world: Any) -> None:
        labs = [await world.lab() for _ in range(LABS)]
        projects = [await world.project(is_public=i % 2 == 0) for i in range(PROJECTS)]
        users = [owner, *[(await world.user()).id for _ in range(USERS - 1)]]
        for project in projects:
            for user in users:
                await world.add(ProjectMember(project_id=project.id, user_id=user, role="viewer"))
        for lab in labs:
            for user in users:
                await world.add(LabMembership(user_id=user, lab_id=lab.id))
        subject_rows = [
            {
                "nickname": f"N{i:04d}",
                "project_id": projects[i % PROJECTS].id,
                "lab_id": labs[i % LABS].id,
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
                "lab_id": labs[i % LABS].id,
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


# Authentication (one statement), then the page with its count and its to-one relations
# folded in, then one statement per level of to-many relations: sessions - projects;
# subjects - projects, sessions, the sessions' projects, and what their water figures are
# computed from (weighings, water given, water restrictions, surgeries); projects - members,
# their users;
# users - the subjects they are responsible for, their labs.
STATEMENTS = {
    "sessions": 3,
    "subjects": 9,
    "datasets": 4,  # their tags and file records
    "labs": 2,
    "projects": 4,
    "users": 4,
}


@pytest.mark.parametrize(("endpoint", "expected"), STATEMENTS.items())
async def test_statements_do_not_grow_with_the_page(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], endpoint: str, expected: int
) -> None:
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    # The first request renews the personal token's sliding expiry (one write): not measured.
    total = (await gateway.client.get(f"/{endpoint}?limit=1", headers=headers)).json()["count"]
    counts = {}
    for limit in (2, min(total - 1, 100)):
        gateway.statements.reset()
        response = await gateway.client.get(f"/{endpoint}?limit={limit}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) == limit < body["count"]
        counts[limit] = gateway.statements.count
    assert set(counts.values()) == {expected}, gateway.statements.statements


async def test_related_lists_are_read_in_full_for_every_record_of_a_page(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """One statement per level reads every record's related rows, each record its own."""
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    sessions = (await gateway.client.get("/sessions?limit=100", headers=headers)).json()
    assert all(len(record["projects"]) == 2 for record in sessions["results"])
    projects = (await gateway.client.get("/projects", headers=headers)).json()
    assert all(len(record["users"]) == USERS for record in projects["results"])
    users = (await gateway.client.get("/users", headers=headers)).json()["results"]
    owner = next(user for user in users if user["username"] == "owner")
    assert len(owner["lab"]) == LABS and len(owner["subjects_responsible"]) == ROWS


# A record: authentication, then the record with its to-one relations, then one statement
# per to-many relation (side by side), whatever the number of related rows.
DETAILS = {
    "sessions": 8,  # its projects, experimenters, datasets, their file records, water given
    # and probe insertions
    "subjects": 9,  # its projects, its sessions and their projects
    "datasets": 4,  # its tags and file records
    "labs": 2,
    "projects": 4,  # its members and their usernames
    "users": 4,  # their subjects and labs
}


@pytest.mark.parametrize(("endpoint", "expected"), DETAILS.items())
async def test_a_record_costs_a_fixed_number_of_statements(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], endpoint: str, expected: int
) -> None:
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    page = (await gateway.client.get(f"/{endpoint}?limit=1", headers=headers)).json()
    record = page["results"][0]
    url = record.get("url") or f"/{endpoint}/{record.get('name') or record['username']}"
    gateway.statements.reset()
    detail = await gateway.client.get(url, headers=headers)
    assert detail.status_code == 200, detail.text
    assert gateway.statements.count == expected, gateway.statements.statements


async def test_a_session_detail_lists_its_users_and_datasets(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = bearer((await _arrange(sessionmaker))["token"], "Token")
    page = (await gateway.client.get("/sessions?limit=1", headers=headers)).json()
    detail = (await gateway.client.get(page["results"][0]["url"], headers=headers)).json()
    assert detail["users"] == ["owner"]
    assert len(detail["data_dataset_session_related"]) == 1
