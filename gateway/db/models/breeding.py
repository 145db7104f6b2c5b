"""BrainSTEM's breedings (``stem/breeding``): a mother and a father of a project, and the
litter they had. Seen and changed with their project."""

from __future__ import annotations

import uuid
from datetime import date, datetime

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


def _parent() -> uuid.UUID:
    return Field(foreign_key="subject.id", index=True, ondelete="CASCADE")  # type: ignore[no-any-return]


class Breeding(SQLModel, table=True):
    __tablename__ = "breeding"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    mother_id: uuid.UUID = _parent()
    father_id: uuid.UUID = _parent()
    description: str = Field(default="")
    tags: list[str] = json_field([])
    birth_date: date | None = Field(default=None)
    start_date: date | None = Field(default=None)
    end_date: date | None = Field(default=None)
    weaning_date: date | None = Field(default=None)
    litter_size: int | None = Field(default=None, ge=1)
    expected_genotype: str = Field(default="", max_length=100)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


order_index(Breeding, "name", "id")
