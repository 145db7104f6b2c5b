"""``include[]`` resolves through the per-request loaders: the SQL statements of a BrainSTEM
list grow with the depth of the includes, never with the number of records on the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    Behavior,
    BehaviorSubject,
    DataAcquisition,
    Manipulation,
    ProjectMember,
    Session,
    SessionProject,
    Strain,
    Subject,
    SubjectProject,
)
from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.conftest import Gateway
from tests.factories import build

ROWS = 120  # sessions and subjects
PROJECTS = 30


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    owner = await make_user(sessionmaker, "owner@lab.org")
    token = await personal_token(sessionmaker, owner, now=utcnow())

    async def recipe(world: Any) -> None:
        species = [await world.species() for _ in range(3)]
        strains = [
            await world.add(Strain(name=f"strain{i}", species_id=s.id))
            for i, s in enumerate(species)
        ]
        projects = [await world.project(is_public=i % 2 == 0) for i in range(PROJECTS)]
        for project in projects:
            await world.add(ProjectMember(project_id=project.id, user_id=owner, role="manager"))
        subjects = [
            {
                "nickname": f"N{i:04d}",
                "project_id": projects[i % PROJECTS].id,
                "strain_id": strains[i % 3].id,
                "species_id": None if i % 4 == 0 else species[i % 3].id,
            }
            for i in range(ROWS)
        ]
        sessions = [
            {
                "name": f"s{i:04d}",
                "project_id": projects[i % PROJECTS].id,
                "start_time": datetime(2024, 1, 1) + timedelta(minutes=i),
            }
            for i in range(ROWS)
        ]
        subject_ids = (
            (await world.session.execute(insert(Subject).returning(Subject.id), subjects))
            .scalars()
            .all()
        )
        session_ids = (
            (await world.session.execute(insert(Session).returning(Session.id), sessions))
            .scalars()
            .all()
        )
        # Each row linked to its owning project and the next one.
        await world.session.execute(
            insert(SubjectProject),
            [
                {"subject_id": key, "project_id": projects[(i + k) % PROJECTS].id}
                for i, key in enumerate(subject_ids)
                for k in (0, 1)
            ],
        )
        await world.session.execute(
            insert(SessionProject),
            [
                {"session_id": key, "project_id": projects[(i + k) % PROJECTS].id}
                for i, key in enumerate(session_ids)
                for k in (0, 1)
            ],
        )

    await build(sessionmaker, recipe)
    return token


@pytest.mark.parametrize(
    ("path", "key", "limits"),
    [
        ("/api/private/stem/session/?include[]=projects.*", "sessions", (2, 100)),
        (
            "/api/private/stem/subject/?include[]=projects.*&include[]=strain.species.*",
            "subjects",
            (2, 100),
        ),
        (
            "/api/private/stem/project/?include[]=sessions.*&include[]=subjects.*",
            "projects",
            (2, 25),
        ),
        ("/api/private/stem/session/?", "sessions", (2, 100)),
    ],
)
async def test_statements_do_not_grow_with_the_page(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    path: str,
    key: str,
    limits: tuple[int, int],
) -> None:
    token = await _arrange(sessionmaker)
    # The first request renews the personal token's sliding expiry (one write): not measured.
    assert (
        await gateway.client.get("/api/private/stem/project/", headers=bearer(token))
    ).is_success
    counts = {}
    for limit in limits:
        gateway.statements.reset()
        response = await gateway.client.get(f"{path}&limit={limit}", headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        # Both pages are partial, so both also count the matches.
        assert len(body[key]) == limit < body["count"]
        counts[limit] = gateway.statements.count
    small, large = limits
    assert counts[small] == counts[large], gateway.statements.statements


async def test_a_page_of_sessions_with_projects_included_costs_a_handful_of_statements(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _arrange(sessionmaker)
    assert (
        await gateway.client.get("/api/private/stem/project/", headers=bearer(token))
    ).is_success
    gateway.statements.reset()
    response = await gateway.client.get(
        "/api/private/stem/session/?include[]=projects.*&limit=100", headers=bearer(token)
    )
    assert response.status_code == 200
    projects = {p["id"] for s in response.json()["sessions"] for p in s["projects"]}
    assert len(projects) == PROJECTS
    # Authentication, the page, its count, the sessions' project links, the projects; then the
    # embedded projects' own relations: owned and linked sessions and the visibility of those,
    # the same for subjects, the members and their names.
    assert gateway.statements.count <= 13, gateway.statements.statements


async def test_included_to_one_relations_are_read_with_the_page(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _arrange(sessionmaker)
    headers = bearer(token)
    assert (await gateway.client.get("/api/private/stem/project/", headers=headers)).is_success
    species = (
        await gateway.client.get("/api/private/taxonomies/species/", headers=headers)
    ).json()["species"]
    by_id = {record["id"]: record for record in species}
    bodies, counts = {}, {}
    for include in ("", "&include[]=species.*&include[]=strain.*"):
        gateway.statements.reset()
        response = await gateway.client.get(
            f"/api/private/stem/subject/?limit=40{include}", headers=headers
        )
        assert response.status_code == 200, response.text
        bodies[include], counts[include] = response.json()["subjects"], gateway.statements.count
    plain, embedded = bodies.values()
    # Folded into the page's statement: embedding costs no statement of its own.
    assert counts[""] == counts["&include[]=species.*&include[]=strain.*"]
    assert [s["id"] for s in plain] == [s["id"] for s in embedded]
    assert any(s["species"] is None for s in embedded)
    for ids_only, full in zip(plain, embedded, strict=True):
        expected = None if ids_only["species"] is None else by_id[ids_only["species"]]
        assert full["species"] == expected
        assert full["strain"]["id"] == ids_only["strain"]
        assert full["strain"]["name"].startswith("strain")


async def _with_session_records(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """A behavior of the session's subject, a recording and a stimulation in every session."""

    async def recipe(world: Any) -> None:
        sessions = (await world.session.execute(select(Session.id))).scalars().all()
        subjects = (await world.session.execute(select(Subject.id))).scalars().all()
        for model, values in (
            (Behavior, {"notes": "licks"}),
            (DataAcquisition, {"type": "Audio", "details": {}}),
            (Manipulation, {"type": "OdorStimulation", "details": []}),
        ):
            rows = [{"session_id": key, **values} for key in sessions]
            keys = (
                (await world.session.execute(insert(model).returning(model.id), rows))
                .scalars()
                .all()
            )
            if model is Behavior:
                await world.session.execute(
                    insert(BehaviorSubject),
                    [
                        {"behavior_id": b, "subject_id": s}
                        for b, s in zip(keys, subjects, strict=True)
                    ],
                )

    await build(sessionmaker, recipe)


async def test_a_session_page_with_the_clients_default_includes_costs_the_same_for_any_size(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _arrange(sessionmaker)
    await _with_session_records(sessionmaker)
    assert (
        await gateway.client.get("/api/private/stem/project/", headers=bearer(token))
    ).is_success
    # What load_session asks for by default.
    include = "&".join(
        f"include[]={name}.*"
        for name in ("dataacquisition", "behaviors", "manipulations", "epochs")
    )
    counts = {}
    for limit in (2, 100):
        gateway.statements.reset()
        response = await gateway.client.get(
            f"/api/private/stem/session/?{include}&limit={limit}", headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        sessions = response.json()["sessions"]
        assert len(sessions) == limit
        for record in sessions:
            assert [b["notes"] for b in record["behaviors"]] == ["licks"]
            assert len(record["behaviors"][0]["subjects"]) == 1
            assert [d["type"] for d in record["dataacquisition"]] == ["Audio"]
            assert [m["type"] for m in record["manipulations"]] == ["OdorStimulation"]
            assert record["epochs"] == []
        counts[limit] = gateway.statements.count
    assert counts[2] == counts[100], gateway.statements.statements
