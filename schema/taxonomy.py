"""GraphQL types of the taxonomy: categories, species, strains and approvals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, followed

if TYPE_CHECKING:
    from schema.accounts import User
    from schema.brains import Brain
    from schema.experiments import Subject

UserRef = Annotated["User", strawberry.lazy("schema.accounts")]
BrainRef = Annotated["Brain", strawberry.lazy("schema.brains")]
SubjectRef = Annotated["Subject", strawberry.lazy("schema.experiments")]


@strawberry.type(description="A BrainMaps grouping of species, e.g. Rodents or Cephalopods.")
class Category(RowType):
    entity = catalog.CATEGORY

    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Species in this category, by name.")
    def species(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Species]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Brain scans in this category, newest first.")
    def brains(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[BrainRef]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="A species (BrainSTEM taxonomy, BrainMaps species).")
class Species(RowType):
    entity = catalog.SPECIES

    id: strawberry.ID
    name: str
    scientific_name: str
    description: str
    comments: str
    rrid: str
    created_at: datetime
    updated_at: datetime
    category: Category | None = None

    @strawberry.field(description="Strains of this species, by name.")
    def strains(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Strain]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Subjects of this species, by nickname.")
    def subjects(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[SubjectRef]:
        return followed(self, info)  # type: ignore[no-any-return]

    @strawberry.field(description="Brain scans of this species, newest first.")
    def brains(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[BrainRef]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="A strain of a species.")
class Strain(RowType):
    entity = catalog.STRAIN

    id: strawberry.ID
    name: str
    description: str
    comments: str
    rrid: str
    created_at: datetime
    updated_at: datetime
    species: Species | None = None


@strawberry.type(description="A proposed change to a taxonomy record, waiting for review.")
class Approval(RowType):
    entity = catalog.APPROVAL

    id: strawberry.ID
    model: str
    action: str
    instance_id: str | None
    proposed: JSON
    status: str
    comments: str
    review_comment: str
    created_at: datetime
    updated_at: datetime
    reviewed_at: datetime | None
    submitter: UserRef | None = None
    reviewer: UserRef | None = None
