"""A public visitor sees public projects and what belongs to them, all taxonomy, verified
brains; nothing private leaks through a relation, a lookup, a filter or a count."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

from gateway.app import create_app
from gateway.auth.principal import ANONYMOUS, Portal, Principal
from gateway.auth.visibility import MissingRule, visible
from gateway.db.models import Brain
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.factories import build


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async def recipe(world: Any) -> dict[str, Any]:
        public = await world.project(name="open_project", is_public=True)
        private = await world.project(name="secret_project", is_public=False)
        shared_subject = await world.subject(public, nickname="PUB01")
        secret_subject = await world.subject(private, nickname="SEC01")
        visible = await world.session_row(
            public, name="visible_session", subject_id=shared_subject.id
        )
        # A private project's session about a subject that is itself public.
        hidden = await world.session_row(
            private, name="hidden_session", subject_id=shared_subject.id
        )
        await world.session_row(private, name="hidden_too", subject_id=secret_subject.id)
        uploader = await world.user()
        await world.add(
            Brain(readable_id="shown", name="shown", verified=True, uploader_id=uploader.id)
        )
        await world.add(
            Brain(
                readable_id="unverified", name="unverified", verified=False, uploader_id=uploader.id
            )
        )
        return {
            "public": str(public.id),
            "private": str(private.id),
            "visible": str(visible.id),
            "hidden": str(hidden.id),
        }

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


async def test_private_sessions_are_not_listed_or_counted(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    data = await gateway.data(
        "{ sessions { name } sessionsConnection { totalCount nodes { name } } }"
    )
    assert [s["name"] for s in data["sessions"]] == ["visible_session"]
    assert data["sessionsConnection"]["totalCount"] == 1


async def test_private_sessions_do_not_leak_through_relations(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    data = await gateway.data(
        "{ projects { name sessions { name } } "
        '  subjectByNickname(nickname: "PUB01") { sessions { name } } }'
    )
    assert data["projects"] == [{"name": "open_project", "sessions": [{"name": "visible_session"}]}]
    assert data["subjectByNickname"]["sessions"] == [{"name": "visible_session"}]


async def test_private_rows_are_not_found_by_id_or_key(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _arrange(sessionmaker)
    data = await gateway.data(
        "query ($hidden: ID!, $private: ID!, $visible: ID!) {"
        "  hidden: session(id: $hidden) { name } visible: session(id: $visible) { name }"
        '  project(id: $private) { name } subjectByNickname(nickname: "SEC01") { nickname }'
        "}",
        {"hidden": ids["hidden"], "private": ids["private"], "visible": ids["visible"]},
    )
    assert data == {
        "hidden": None,
        "visible": {"name": "visible_session"},
        "project": None,
        "subjectByNickname": None,
    }


async def test_filters_cannot_reach_private_rows(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _arrange(sessionmaker)
    data = await gateway.data(
        "query ($p: UUID!) {"
        "  byProject: sessionsConnection(where: {projectId: {eq: $p}}) {"
        "    totalCount nodes { name }"
        "  }"
        '  byName: sessions(where: {name: {startswith: "hidden"}}) { name }'
        "}",
        {"p": ids["private"]},
    )
    assert data["byProject"] == {"totalCount": 0, "nodes": []}
    assert data["byName"] == []


async def test_only_verified_brains_are_public(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    data = await gateway.data(
        '{ brains { readableId } brainByReadableId(readableId: "unverified") { name } }'
    )
    assert data == {"brains": [{"readableId": "shown"}], "brainByReadableId": None}


def test_a_table_without_a_visibility_rule_stops_the_gateway_at_start_up(
    settings: Settings,
) -> None:
    unruled = Table("lab_notebook", SQLModel.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(MissingRule, match="lab_notebook"):
            create_app(settings)
    finally:
        SQLModel.metadata.remove(unruled)
    create_app(settings)  # every real table has its rule


def test_reading_a_table_without_a_rule_is_refused_not_public() -> None:
    unruled = Table("lab_notebook", MetaData(), Column("id", Integer, primary_key=True))
    admin = Principal(user_id=1, is_admin=True, portal=Portal.SUPER)
    for principal in (ANONYMOUS, admin):
        with pytest.raises(MissingRule):
            visible(unruled, principal)


def test_a_callers_rule_is_built_once_whatever_credential_they_present() -> None:
    sessions = SQLModel.metadata.tables["session"]
    first = Principal(user_id=7, portal=Portal.PRIVATE, token_id=uuid.uuid4())
    second = Principal(user_id=7, portal=Portal.PRIVATE, token_id=uuid.uuid4())
    assert visible(sessions, first) is visible(sessions, second)
    assert visible(sessions, first) is not visible(sessions, Principal(7, portal=Portal.PUBLIC))
    assert visible(sessions, first) is not visible(sessions, Principal(8, portal=Portal.PRIVATE))


async def test_a_shared_rule_sees_a_membership_granted_after_it_was_built(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The rule's subqueries read memberships when it runs: sharing it across requests
    never keeps an old answer."""

    async def recipe(world: Any) -> tuple[Any, Any]:
        user = await world.user(username="newcomer")
        project = await world.project(name="closed_project", is_public=False)
        await world.session_row(project, name="closed_session")
        return user.id, project.id

    user_id, project_id = await build(sessionmaker, recipe)
    sessions = SQLModel.metadata.tables["session"]
    caller = Principal(user_id=user_id, portal=Portal.PRIVATE)

    async def seen() -> list[str]:
        async with sessionmaker() as db:
            rows = await db.execute(select(sessions.c.name).where(visible(sessions, caller)))
            return list(rows.scalars())

    assert await seen() == []
    async with sessionmaker() as db:
        await db.execute(
            insert(SQLModel.metadata.tables["project_member"]),
            {"project_id": project_id, "user_id": user_id, "role": "viewer", "is_owner": False},
        )
        await db.commit()
    assert await seen() == ["closed_session"]
