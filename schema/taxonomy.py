"""GraphQL types of the taxonomy: categories, species, strains and approvals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, ToMany, ToOne

if TYPE_CHECKING:
    from schema.accounts import User

UserRef = Annotated["User", strawberry.lazy("schema.accounts")]


@strawberry.type(description="A BrainMaps grouping of species, e.g. Rodents or Cephalopods.")
class Category(RowType):
    entity = catalog.CATEGORY
    relations = {"species": ToMany("Species", ("category_id",))}

    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Species in this category, by name.")
    def species(self, limit: int | None = None) -> list[Species]:
        return self.many("species", limit)


@strawberry.type(description="A species (BrainSTEM taxonomy, BrainMaps species).")
class Species(RowType):
    entity = catalog.SPECIES
    relations = {
        "category": ToOne("Category", "category_id"),
        "strains": ToMany("Strain", ("species_id",)),
    }

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
    def strains(self, limit: int | None = None) -> list[Strain]:
        return self.many("strains", limit)


@strawberry.type(description="A strain of a species.")
class Strain(RowType):
    entity = catalog.STRAIN
    relations = {"species": ToOne("Species", "species_id")}

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
    relations = {
        "submitter": ToOne("User", "submitter_id"),
        "reviewer": ToOne("User", "reviewer_id"),
    }

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
