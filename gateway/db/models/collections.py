"""Collections: named sets of a project's sessions (BrainSTEM ``stem/collection``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from gateway.db.models._base import (
    Seen,
    created_at,
    json_field,
    order_index,
    seen_by,
    updated_at,
    uuid_pk,
)


class Collection(SQLModel, table=True):
    __tablename__ = "collection"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    description: str = Field(default="")
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    tags: list[str] = json_field([])
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class CollectionSession(SQLModel, table=True):
    __tablename__ = "collection_session"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("collection", "collection_id"))

    collection_id: uuid.UUID = Field(
        foreign_key="collection.id", primary_key=True, ondelete="CASCADE"
    )
    session_id: uuid.UUID = Field(
        foreign_key="session.id", primary_key=True, index=True, ondelete="CASCADE"
    )


# The indexes serving each list's default order (resolvers/catalog).
order_index(Collection, "name", "id")
