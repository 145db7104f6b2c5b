"""GraphQL types of experiments: projects, subjects and sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, followed

if TYPE_CHECKING:
    from schema.accounts import Laboratory, User
    from schema.taxonomy import Species, Strain

LabRef = Annotated["Laboratory", strawberry.lazy("schema.accounts")]
UserRef = Annotated["User", strawberry.lazy("schema.accounts")]
SpeciesRef = Annotated["Species", strawberry.lazy("schema.taxonomy")]
StrainRef = Annotated["Strain", strawberry.lazy("schema.taxonomy")]


@strawberry.type(description="A project: groups subjects and sessions and sets who may see them.")
class Project(RowType):
    entity = catalog.PROJECT

    id: strawberry.ID
    name: str
    description: str
    is_public: bool
    tags: JSON
    extra_fields: JSON
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Sessions it owns and sessions linked to it, newest first.")
    def sessions(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Session]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Subjects it owns and subjects linked to it, by nickname.")
    def subjects(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Subject]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="An experimental animal.")
class Subject(RowType):
    entity = catalog.SUBJECT

    id: strawberry.ID
    nickname: str
    description: str
    sex: str
    birth_date: date | None
    death_date: date | None
    genotype: str
    genetic_line: str
    status: str
    created_at: datetime
    updated_at: datetime
    project: Project | None = None
    species: SpeciesRef | None = None
    strain: StrainRef | None = None
    lab: LabRef | None = None
    responsible_user: UserRef | None = None

    @strawberry.field(description="This subject's sessions, newest first.")
    def sessions(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Session]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Its owning project, then every project it is linked to.")
    def projects(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Project]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="One experiment session.")
class Session(RowType):
    entity = catalog.SESSION

    id: strawberry.ID
    name: str
    narrative: str
    type: str
    number: int | None
    task_protocol: str
    start_time: datetime | None
    end_time: datetime | None
    qc: int
    n_trials: int | None
    n_correct_trials: int | None
    created_at: datetime
    updated_at: datetime
    project: Project | None = None
    subject: Subject | None = None
    lab: LabRef | None = None

    @strawberry.field(description="Its owning project, then every project it is linked to.")
    def projects(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Project]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Its experimenters, by username.")
    def users(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[UserRef]:
        return followed(self, info)  # type: ignore[no-any-return]
