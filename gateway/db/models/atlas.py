"""Where recordings are in the brain: atlas brain regions (a tree, as the Allen atlas
ontology is), the probe insertions of sessions and the trajectories estimated for them (Alyx's
``experiments`` app). Regions are reference data everyone sees; an insertion is seen with its
session and a trajectory with its insertion."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.db.models._base import Seen, created_at, json_field, seen_by, updated_at, uuid_pk


class Atlas(StrEnum):
    """The atlases a brain region may belong to (BrainSTEM's codes, ``BrainRegion.atlas``)."""

    AIA = "AIA"
    AIA_DM = "AIA_dM"
    AIA_HB = "AIA_HB"
    AIA_DHB = "AIA_dHB"
    AIA_P = "AIA_P"
    AIA_S = "AIA_S"
    BM4 = "BM4"
    PF2001 = "PF2001"
    PW1997 = "PW1997"
    S2004 = "S2004"


class BrainRegion(SQLModel, table=True):
    """A region of an atlas ontology, keyed by its atlas id (the Allen structure id), so the
    ids match those the atlases and Alyx publish."""

    __tablename__ = "brain_region"
    __table_args__ = (
        UniqueConstraint("atlas", "acronym"),
        UniqueConstraint("atlas", "name"),
        seen_by(Seen.EVERYONE),
    )

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    atlas: str = Field(default=Atlas.AIA, max_length=7)
    acronym: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255, index=True)
    description: str = Field(default="", max_length=2000)
    parent_id: int | None = Field(
        default=None, foreign_key="brain_region.id", index=True, ondelete="CASCADE"
    )
    level: int = Field(default=0)
    rgb: str = Field(default="", max_length=6)
    ontology: str = Field(default="", max_length=64)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ProbeInsertion(SQLModel, table=True):
    """A probe inserted in a session's subject (Alyx ``insertions``), named per session."""

    __tablename__ = "probe_insertion"
    __table_args__ = (
        UniqueConstraint("session_id", "name"),
        seen_by(Seen.WITH_PARENT, parent=("session", "session_id")),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=255)
    model: str = Field(default="", max_length=255)
    serial: str = Field(default="", max_length=255)
    json_data: Any = json_field()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class TrajectoryEstimate(SQLModel, table=True):
    """A straight-line estimate of where an insertion went, one per provenance (planned,
    micro-manipulator, histology track, ephys-aligned histology track)."""

    __tablename__ = "trajectory_estimate"
    __table_args__ = (
        UniqueConstraint("probe_insertion_id", "provenance"),
        seen_by(Seen.WITH_PARENT, parent=("probe_insertion", "probe_insertion_id")),
    )

    id: uuid.UUID = uuid_pk()
    probe_insertion_id: uuid.UUID = Field(
        foreign_key="probe_insertion.id", index=True, ondelete="CASCADE"
    )
    x: float | None = None
    y: float | None = None
    z: float | None = None
    depth: float | None = None
    theta: float | None = None
    phi: float | None = None
    roll: float | None = None
    provenance: int = Field(default=10)
    coordinate_system: str = Field(default="", max_length=255)
    json_data: Any = json_field()
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()
