"""GraphQL types of experiments: projects, subjects and sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, ToMany, ToOne

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
    relations = {
        "sessions": ToMany("Session", ("project_id",)),
        "subjects": ToMany("Subject", ("project_id",)),
    }

    id: strawberry.ID
    name: str
    description: str
    is_public: bool
    tags: JSON
    extra_fields: JSON
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Sessions owned by this project, newest first.")
    def sessions(self, limit: int | None = None) -> list[Session]:
        return self.many("sessions", limit)

    @strawberry.field(description="Subjects owned by this project, by nickname.")
    def subjects(self, limit: int | None = None) -> list[Subject]:
        return self.many("subjects", limit)


@strawberry.type(description="An experimental animal.")
class Subject(RowType):
    entity = catalog.SUBJECT
    relations = {
        "project": ToOne("Project", "project_id"),
        "species": ToOne("Species", "species_id"),
        "strain": ToOne("Strain", "strain_id"),
        "lab": ToOne("Laboratory", "lab_id"),
        "responsible_user": ToOne("User", "responsible_user_id"),
        "sessions": ToMany("Session", ("subject_id",)),
    }

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
    def sessions(self, limit: int | None = None) -> list[Session]:
        return self.many("sessions", limit)


@strawberry.type(description="One experiment session.")
class Session(RowType):
    entity = catalog.SESSION
    relations = {
        "project": ToOne("Project", "project_id"),
        "subject": ToOne("Subject", "subject_id"),
        "lab": ToOne("Laboratory", "lab_id"),
    }

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
