"""BrainSTEM's modules: what was done to a subject (procedures, logs) and what a session
recorded (behaviors, data acquisitions, manipulations). Each row is seen with the subject or
session it belongs to; its ``type`` picks the JSON Schema its ``details`` follow."""

from __future__ import annotations

import uuid
from datetime import datetime
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


def _of(parent: str) -> Any:
    return Field(foreign_key=f"{parent}.id", index=True, ondelete="CASCADE")


def _optional(parent: str) -> Any:
    """A column naming a row another record may lose (it is then null)."""
    return Field(default=None, foreign_key=f"{parent}.id", index=True, ondelete="SET NULL")


def _link(parent: str, primary: bool = True) -> Any:
    """A link table's key column; the second one is indexed for reads from its side."""
    index = not primary
    return Field(foreign_key=f"{parent}.id", primary_key=True, index=index, ondelete="CASCADE")


class Procedure(SQLModel, table=True):
    """Something done to a subject (a surgery, an injection), with its coordinates."""

    __tablename__ = "procedure"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _of("subject")
    type: str = Field(max_length=100)
    notes: str = Field(default="", max_length=500)
    date_time: datetime | None = Field(default=None, sa_type=DateTime())
    details: Any = json_field({})
    type_schema_version: str = Field(default="", max_length=20)
    coordinates_system: str = Field(max_length=100)
    coordinates_details: Any = json_field({})
    coordinates_schema_version: str = Field(default="", max_length=20)
    consumable_id: uuid.UUID | None = _optional("consumable")
    hardware_device_id: uuid.UUID | None = _optional("hardware_device")
    protocol_id: uuid.UUID | None = _optional("protocol")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class SubjectLog(SQLModel, table=True):
    """A log kept on a subject (weighings, water given, observations)."""

    __tablename__ = "subject_log"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _of("subject")
    type: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    notes: str = Field(default="")
    details: Any = json_field({})
    type_schema_version: str = Field(default="", max_length=20)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )
    protocol_id: uuid.UUID | None = _optional("protocol")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Behavior(SQLModel, table=True):
    """Behavior recorded in a session, of one or more subjects."""

    __tablename__ = "behavior"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("session", "session_id"))

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = _of("session")
    setup_id: uuid.UUID | None = Field(
        default=None, foreign_key="setup.id", index=True, ondelete="SET NULL"
    )
    behavioral_assay_id: uuid.UUID | None = Field(
        default=None, foreign_key="behavioral_assay.id", index=True, ondelete="SET NULL"
    )
    notes: str = Field(default="", max_length=500)
    order: int | None = Field(default=None)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class BehaviorSubject(SQLModel, table=True):
    __tablename__ = "behavior_subject"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("behavior", "behavior_id"))

    behavior_id: uuid.UUID = _link("behavior")
    subject_id: uuid.UUID = _link("subject", primary=False)


class _TypedSessionRecord(SQLModel):
    """What data acquisitions and manipulations share: a session, a type and its details."""

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = _of("session")
    type: str = Field(max_length=100)
    notes: str = Field(default="", max_length=500)
    type_schema_version: str = Field(default="", max_length=20)
    order: int | None = Field(default=None)
    hardware_device_id: uuid.UUID | None = _optional("hardware_device")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class DataAcquisition(_TypedSessionRecord, table=True):
    """A recording made in a session (electrophysiology, imaging, ...)."""

    __tablename__ = "data_acquisition"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("session", "session_id"))

    details: Any = json_field({})


class DataAcquisitionProcedure(SQLModel, table=True):
    __tablename__ = "data_acquisition_procedure"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("data_acquisition", "data_acquisition_id"))

    data_acquisition_id: uuid.UUID = _link("data_acquisition")
    procedure_id: uuid.UUID = _link("procedure", primary=False)


class Manipulation(_TypedSessionRecord, table=True):
    """A manipulation applied in a session (optogenetics, stimulation, ...): its details
    list one set of parameters per stimulus."""

    __tablename__ = "manipulation"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("session", "session_id"))

    details: Any = json_field([])


class ManipulationProcedure(SQLModel, table=True):
    __tablename__ = "manipulation_procedure"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("manipulation", "manipulation_id"))

    manipulation_id: uuid.UUID = _link("manipulation")
    procedure_id: uuid.UUID = _link("procedure", primary=False)


class ProcedureLog(SQLModel, table=True):
    """Measurements logged over time on a procedure (an implant's impedances, a drive's
    displacement): its entries, each a date and time, notes and details of its type."""

    __tablename__ = "procedure_log"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("procedure", "procedure_id"))

    id: uuid.UUID = uuid_pk()
    procedure_id: uuid.UUID = _of("procedure")
    type: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    entries: Any = json_field([])
    type_schema_version: str = Field(default="", max_length=20)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


# The indexes serving each list's default order (resolvers/catalog).
order_index(Behavior, "order", "id")
order_index(DataAcquisition, "order", "id")
order_index(Manipulation, "order", "id")
order_index(SubjectLog, "-created_at", "id")
order_index(Procedure, "-date_time", "id")
order_index(ProcedureLog, "-created_at", "id")
