"""Shared reference records BrainSTEM keeps in its ``taxonomies`` and ``resources`` apps that
setups, assays and behaviors point at: setup types, behavioral categories and paradigms,
suppliers and the hardware devices they sell. Everyone sees them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from gateway.db.models._base import Seen, created_at, json_field, seen_by, updated_at, uuid_pk


class _Named(SQLModel):
    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class SetupType(_Named, table=True):
    """A kind of experimental setup (an environment), e.g. a linear track."""

    __tablename__ = "setup_type"
    __table_args__ = seen_by(Seen.EVERYONE)

    category: str = Field(default="", max_length=1)


class BehavioralCategory(_Named, table=True):
    __tablename__ = "behavioral_category"
    __table_args__ = seen_by(Seen.EVERYONE)


class BehavioralParadigm(_Named, table=True):
    __tablename__ = "behavioral_paradigm"
    __table_args__ = seen_by(Seen.EVERYONE)

    category_id: uuid.UUID | None = Field(
        default=None, foreign_key="behavioral_category.id", index=True, ondelete="SET NULL"
    )
    original_publication: str = Field(default="")
    reference_url: str = Field(default="", max_length=200)
    rrid: str = Field(default="", max_length=100)
    external_identifiers: dict[str, Any] = json_field({})


class Supplier(_Named, table=True):
    __tablename__ = "supplier"
    __table_args__ = seen_by(Seen.EVERYONE)

    website: str = Field(default="", max_length=200)


class HardwareDevice(_Named, table=True):
    __tablename__ = "hardware_device"
    __table_args__ = seen_by(Seen.EVERYONE)

    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True, ondelete="CASCADE")
    rrid: str = Field(default="", max_length=100)
    external_identifiers: dict[str, Any] = json_field({})
