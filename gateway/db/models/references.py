"""Shared reference records BrainSTEM keeps in its ``taxonomies`` and ``resources`` apps that
setups, assays, behaviors and licenses point at: setup types, behavioral categories and
paradigms, regulatory authorities, suppliers and the hardware devices they sell. Everyone sees
them."""

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

    # The broader category it belongs to (a tree: Learning & Memory > Spatial Learning).
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="behavioral_category.id", index=True, ondelete="SET NULL"
    )


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


class RegulatoryAuthority(SQLModel, table=True):
    """A body that issues licenses for animal research (an IACUC, the UK Home Office)."""

    __tablename__ = "regulatory_authority"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    abbreviation: str = Field(default="", max_length=32)
    country: str = Field(default="", max_length=2)  # ISO 3166-1 alpha-2
    authority_type: str = Field(default="", max_length=64)
    website: str = Field(default="", max_length=200)
    description: str = Field(default="")
    is_active: bool = Field(default=True)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


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
