"""Taxonomy: categories, species, strains, and the approvals that change them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime
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


class Category(SQLModel, table=True):
    """A BrainMaps grouping of species (Rodents, Primates, Cephalopods, ...)."""

    __tablename__ = "category"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    description: str = Field(default="", max_length=500)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Species(SQLModel, table=True):
    __tablename__ = "species"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100, unique=True, index=True)
    scientific_name: str = Field(default="", max_length=255, index=True)
    description: str = Field(default="", max_length=500)
    comments: str = Field(default="")
    rrid: str = Field(default="", max_length=100)
    category_id: int | None = Field(
        default=None, foreign_key="category.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Strain(SQLModel, table=True):
    __tablename__ = "strain"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100, unique=True, index=True)
    description: str = Field(default="", max_length=2000)
    comments: str = Field(default="")
    rrid: str = Field(default="", max_length=100)
    species_id: uuid.UUID = Field(foreign_key="species.id", index=True, ondelete="RESTRICT")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ApprovalModel(StrEnum):
    """The kinds of record an approval changes (``Approval.model``)."""

    SPECIES = "species"
    STRAIN = "strain"
    CATEGORY = "category"
    SETUP_TYPE = "setuptype"
    BEHAVIORAL_CATEGORY = "behavioralcategory"
    BEHAVIORAL_PARADIGM = "behavioralparadigm"
    REGULATORY_AUTHORITY = "regulatoryauthority"
    SUPPLIER = "supplier"
    HARDWARE_DEVICE = "hardwaredevice"
    CONSUMABLE = "consumable"
    JOURNAL = "journal"


class ApprovalAction(StrEnum):
    """What an approval does to its record (``Approval.action``)."""

    ADD = "Add"
    CHANGE = "Change"
    DELETE = "Delete"


class ApprovalStatus(StrEnum):
    """Where an approval is in its review (``Approval.status``)."""

    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class Approval(SQLModel, table=True):
    """A proposed Add / Change / Delete of a taxonomy record, waiting for a reviewer."""

    __tablename__ = "approval"
    __table_args__ = seen_by(Seen.APPROVALS)

    id: uuid.UUID = uuid_pk()
    model: str = Field(max_length=32, index=True)  # an ApprovalModel
    action: str = Field(max_length=16)  # an ApprovalAction
    instance_id: str | None = Field(default=None, max_length=64)  # as filed, for good
    # The record it changes, while that exists (one of them, by ``model``; Add: once accepted).
    species_id: uuid.UUID | None = Field(
        default=None, foreign_key="species.id", index=True, ondelete="SET NULL"
    )
    strain_id: uuid.UUID | None = Field(
        default=None, foreign_key="strain.id", index=True, ondelete="SET NULL"
    )
    category_id: int | None = Field(
        default=None, foreign_key="category.id", index=True, ondelete="SET NULL"
    )
    # The record it changes for models without a column of their own above (a journal, a
    # setup type): the record's id, while that exists; no foreign key, as it names rows of
    # several tables (by ``model``).
    record_id: uuid.UUID | None = Field(default=None, index=True)
    proposed: dict[str, Any] = json_field({})
    status: str = Field(default=ApprovalStatus.PENDING.value, max_length=16, index=True)
    comments: str = Field(default="")
    review_comment: str = Field(default="")
    submitter_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    reviewer_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()
    reviewed_at: datetime | None = Field(default=None, sa_type=DateTime())


# The indexes serving each list's default order (resolvers/catalog).
order_index(Approval, "-created_at", "id")
