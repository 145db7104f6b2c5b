"""GraphQL types of brain scans and file uploads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import catalog
from schema.relations import RowType

if TYPE_CHECKING:
    from schema.accounts import User
    from schema.experiments import Session
    from schema.taxonomy import Category, Species

UserRef = Annotated["User", strawberry.lazy("schema.accounts")]
SessionRef = Annotated["Session", strawberry.lazy("schema.experiments")]
SpeciesRef = Annotated["Species", strawberry.lazy("schema.taxonomy")]
CategoryRef = Annotated["Category", strawberry.lazy("schema.taxonomy")]


@strawberry.type(description="A stored file (its content is addressed by its sha256).")
class FileUpload(RowType):
    entity = catalog.FILE_UPLOAD

    id: int
    uuid: strawberry.ID
    name: str
    sha256: str
    size: int
    content_type: str
    status: str
    dataset_type: str
    collection: str
    created_at: datetime
    uploader: UserRef | None = None
    session: SessionRef | None = None


@strawberry.type(description="A brain scan (BrainMaps).")
class Brain(RowType):
    entity = catalog.BRAIN

    id: int
    uuid: strawberry.ID
    readable_id: str
    name: str
    description: str
    verified: bool
    is_reference: bool
    website: str
    created_at: datetime
    updated_at: datetime
    species: SpeciesRef | None = None
    category: CategoryRef | None = None
    uploader: UserRef | None = None
    file: FileUpload | None = None
