"""A small lab for the BrainSTEM shim tests: people with tokens and roles, projects public and
private, subjects and sessions (some linked to a second project), species and strains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Project, ProjectMember, SessionProject, Strain, SubjectProject
from gateway.db.models._base import utcnow
from tests.auth.support import make_user, personal_token
from tests.factories import build
from tests.rest.support import Caller, Lab

PEOPLE = {
    "alice": {},  # manages open_project and secret_project
    "eve": {},  # editor of secret_project
    "vic": {},  # viewer of secret_project
    "mallory": {},  # manages foreign_project only
    "rita": {"is_reviewer": True},
    "ada": {"is_admin": True},
}


async def arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    users, tokens = {}, {}
    for name, flags in PEOPLE.items():
        users[name] = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        tokens[name] = await personal_token(sessionmaker, users[name], now=utcnow())

    async def recipe(world: Any) -> dict[str, str]:
        ids: dict[str, Any] = {}
        mouse = await world.species(name="Mouse", scientific_name="Mus musculus")
        rat = await world.species(name="Rat", scientific_name="Rattus norvegicus")
        c57 = await world.add(Strain(name="C57BL/6J", species_id=mouse.id))
        evans = await world.add(Strain(name="Long-Evans", species_id=rat.id))
        ids.update(mouse=mouse.id, rat=rat.id, c57=c57.id, evans=evans.id)
        roles = {
            "open_project": (True, {"alice": "manager"}),
            "secret_project": (False, {"alice": "manager", "eve": "editor", "vic": "viewer"}),
            "foreign_project": (False, {"mallory": "manager"}),
        }
        for name, (public, members) in roles.items():
            project = await world.project(name=name, is_public=public, description=f"{name} text")
            ids[name] = project.id
            for who, role in members.items():
                await world.add(
                    ProjectMember(
                        project_id=project.id,
                        user_id=users[who],
                        role=role,
                        is_owner=role == "manager",
                    )
                )

        async def subject(nickname: str, owner: str, *links: str, **kw: Any) -> None:
            project = await world.session.get(Project, ids[owner])
            row = await world.subject(project, nickname=nickname, **kw)
            ids[nickname] = row.id
            for project in (owner, *links):
                await world.add(SubjectProject(subject_id=row.id, project_id=ids[project]))

        async def session(name: str, owner: str, *links: str, **kw: Any) -> None:
            project = await world.session.get(Project, ids[owner])
            row = await world.session_row(project, name=name, **kw)
            ids[name] = row.id
            for project in (owner, *links):
                await world.add(SessionProject(session_id=row.id, project_id=ids[project]))

        await subject("M001", "open_project", strain_id=c57.id, species_id=mouse.id, sex="F")
        await subject("M002", "secret_project", "open_project", strain_id=c57.id, sex="M")
        await subject("R001", "foreign_project", strain_id=evans.id, species_id=rat.id)
        await session(
            "open_morning",
            "open_project",
            narrative="hippocampus recording",
            start_time=datetime(2024, 3, 1, 9, 0),
        )
        await session(
            "open_evening",
            "open_project",
            narrative="cortex imaging",
            start_time=datetime(2024, 3, 1, 18, 30),
        )
        await session(
            "secret_run",
            "secret_project",
            "open_project",
            narrative="Hippocampus",
            start_time=datetime(2024, 3, 2, 10, 0),
        )
        await session("foreign_run", "foreign_project", start_time=datetime(2024, 3, 3, 8, 0))
        return {name: str(value) for name, value in ids.items()}

    return Lab(tokens, users, await build(sessionmaker, recipe))


__all__ = ["Caller", "Lab", "arrange"]
