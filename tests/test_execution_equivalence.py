"""The gateway's look-ahead reads exactly what graphql-core resolves.

The reference is a stock Strawberry schema with ordinary resolvers: each field reads its own
rows when it is resolved, one plain statement at a time, with no look-ahead at all. Both
schemas answer the same queries (``@skip``/``@include`` with variables, fragments, aliases,
nested lists with their own windows) over the same database, and must give the same data.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest
import strawberry
from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.schema.config import StrawberryConfig

from gateway.auth.principal import ANONYMOUS
from gateway.auth.visibility import visible
from gateway.db.models import Project, Session, SessionProject, Species, Subject, table
from schema.scalars import SCALAR_MAP
from tests.conftest import Gateway
from tests.factories import World, build

Sessionmaker = async_sessionmaker[AsyncSession]
_projects, _sessions, _subjects = table(Project), table(Session), table(Subject)
_species, _links = table(Species), table(SessionProject)


async def _rows(info: strawberry.Info, stmt: Any) -> list[Any]:
    async with info.context["sessionmaker"]() as session:
        return list((await session.execute(stmt)).all())


def _visible(rows: Any) -> Any:
    return visible(rows, ANONYMOUS)


def _sessions_stmt(where: Any, limit: int | None, offset: int) -> Any:
    stmt = select(_sessions).where(_visible(_sessions), where)
    order = (_sessions.c.start_time.desc().nulls_last(), _sessions.c.id)
    return stmt.order_by(*order).limit(limit).offset(offset)


@strawberry.type(name="Species")
class RSpecies:
    id: strawberry.ID
    name: str


@strawberry.type(name="Subject")
class RSubject:
    id: strawberry.ID
    nickname: str
    birth_date: date | None
    species_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def species(self, info: strawberry.Info) -> RSpecies | None:
        found = await _rows(info, select(_species).where(_species.c.id == self.species_id))
        return RSpecies(id=found[0].id, name=found[0].name) if found else None

    @strawberry.field
    async def sessions(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[RSession]:
        stmt = _sessions_stmt(_sessions.c.subject_id == self.id, limit, offset)
        return [RSession.of(row) for row in await _rows(info, stmt)]

    @classmethod
    def of(cls, row: Any) -> RSubject:
        return cls(id=row.id, nickname=row.nickname, birth_date=row.birth_date,
                   species_id=row.species_id)  # fmt: skip


@strawberry.type(name="Project")
class RProject:
    id: strawberry.ID
    name: str
    is_public: bool

    @strawberry.field
    async def sessions(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[RSession]:
        link = and_(_links.c.session_id == _sessions.c.id, _links.c.project_id == self.id)
        owned_or_linked = or_(_sessions.c.project_id == self.id, exists().where(link))
        stmt = _sessions_stmt(owned_or_linked, limit, offset)
        return [RSession.of(row) for row in await _rows(info, stmt)]

    @classmethod
    def of(cls, row: Any) -> RProject:
        return cls(id=row.id, name=row.name, is_public=row.is_public)


@strawberry.type(name="Session")
class RSession:
    id: strawberry.ID
    name: str
    number: int | None
    start_time: datetime | None
    project_id: strawberry.Private[uuid.UUID]
    subject_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def project(self, info: strawberry.Info) -> RProject | None:
        stmt = select(_projects).where(_projects.c.id == self.project_id, _visible(_projects))
        found = await _rows(info, stmt)
        return RProject.of(found[0]) if found else None

    @strawberry.field
    async def subject(self, info: strawberry.Info) -> RSubject | None:
        stmt = select(_subjects).where(_subjects.c.id == self.subject_id, _visible(_subjects))
        found = await _rows(info, stmt)
        return RSubject.of(found[0]) if found else None

    @strawberry.field
    async def projects(self, info: strawberry.Info) -> list[RProject]:
        linked = select(_links.c.project_id).where(_links.c.session_id == self.id)
        mine = or_(_projects.c.id == self.project_id, _projects.c.id.in_(linked))
        owner_first = case((_projects.c.id == self.project_id, 0), else_=1)
        stmt = select(_projects).where(and_(mine, _visible(_projects))).order_by(
            owner_first, _projects.c.name, _projects.c.id
        )
        return [RProject.of(row) for row in await _rows(info, stmt)]

    @classmethod
    def of(cls, row: Any) -> RSession:
        return cls(id=row.id, name=row.name, number=row.number, start_time=row.start_time,
                   project_id=row.project_id, subject_id=row.subject_id)  # fmt: skip


@strawberry.type
class RQuery:
    @strawberry.field
    async def projects(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[RProject]:
        stmt = select(_projects).where(_visible(_projects)).order_by(
            _projects.c.name, _projects.c.id
        )
        return [RProject.of(row) for row in await _rows(info, stmt.limit(limit).offset(offset))]

    @strawberry.field
    async def sessions(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[RSession]:
        stmt = _sessions_stmt(_sessions.c.id.is_not(None), limit, offset)
        return [RSession.of(row) for row in await _rows(info, stmt)]

    @strawberry.field
    async def subjects(self, info: strawberry.Info) -> list[RSubject]:
        stmt = select(_subjects).where(_visible(_subjects)).order_by(
            _subjects.c.nickname, _subjects.c.id
        )
        return [RSubject.of(row) for row in await _rows(info, stmt)]


# The gateway's own scalars (timestamps in UTC with a Z), so only execution differs.
REFERENCE = strawberry.Schema(query=RQuery, config=StrawberryConfig(scalar_map=SCALAR_MAP))

QUERIES = [
    # The case: a skipped field's arguments are never looked at.
    ("{ projects(limit: 1) { name sessions(limit: 100000) @skip(if: true) { id } } }", {}),
    (
        """query ($skip: Boolean!, $with: Boolean!) {
             projects(limit: 3) {
               name
               sessions(limit: 2) @skip(if: $skip) { id name }
               later: sessions(limit: 2, offset: 1) @include(if: $with) { ...Run }
             }
           }
           fragment Run on Session { name number subject { nickname species { name } } }""",
        {"skip": False, "with": True},
    ),
    (
        """query ($skip: Boolean!, $with: Boolean!) {
             projects { name sessions(limit: 2) @skip(if: $skip) { id }
                        later: sessions(offset: 1) @include(if: $with) { ...Run } }
           }
           fragment Run on Session { name subject { nickname } }""",
        {"skip": True, "with": False},
    ),
    (
        """query ($deep: Boolean!) {
             sessions(limit: 6) {
               ...Who
               owner: project { name }
               project { id isPublic sessions(limit: 1) { name } }
               ... @include(if: $deep) { projects { name sessions(limit: 2) { startTime } } }
             }
           }
           fragment Who on Session { id startTime subject { sessions(limit: 2) { name } } }""",
        {"deep": True},
    ),
    (
        """query ($deep: Boolean!) {
             sessions { id ... @include(if: $deep) { projects { name } } ...Own }
           }
           fragment Own on Session { project { name } project { id } }""",
        {"deep": False},
    ),
    (
        """{ subjects { nickname birthDate species { name } a: sessions(limit: 1) { name }
                        b: sessions(limit: 3) { name project { name } } } }""",
        {},
    ),
]


async def _arrange(sessionmaker: Sessionmaker) -> None:
    async def recipe(world: World) -> None:
        mouse = await world.species(name="Mouse")
        alpha = await world.project(name="alpha")
        beta = await world.project(name="beta")
        hidden = await world.project(name="hidden", is_public=False)
        one = await world.subject(alpha, nickname="ONE", species_id=mouse.id,
                                  birth_date=date(2023, 5, 1))  # fmt: skip
        two = await world.subject(beta, nickname="TWO")
        await world.subject(hidden, nickname="SECRET")
        runs = []
        for n, (project, subject) in enumerate(
            [(alpha, one), (alpha, one), (beta, two), (beta, None), (alpha, two), (hidden, one)]
        ):
            runs.append(
                await world.session_row(project, name=f"run{n}", number=n,
                                        subject_id=subject.id if subject else None)
            )  # fmt: skip
        await world.add(SessionProject(session_id=runs[2].id, project_id=alpha.id))
        await world.add(SessionProject(session_id=runs[0].id, project_id=hidden.id))
        await world.add(SessionProject(session_id=runs[5].id, project_id=beta.id))

    await build(sessionmaker, recipe)


@pytest.mark.parametrize(("query", "variables"), QUERIES)
async def test_the_gateway_answers_as_stock_strawberry_with_ordinary_resolvers(
    gateway: Gateway, sessionmaker: Sessionmaker, query: str, variables: dict[str, Any]
) -> None:
    await _arrange(sessionmaker)
    expected = await REFERENCE.execute(
        query, variable_values=variables, context_value={"sessionmaker": sessionmaker}
    )
    assert expected.errors is None, expected.errors
    assert expected.data
    assert await gateway.data(query, variables) == expected.data
