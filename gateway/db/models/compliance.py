"""BrainSTEM's licenses and protocols (``personal_attributes``): the authorizations a lab
works under and its reusable methods. Their owner sees and changes them; everyone sees those
made public."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

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


class LicenseType(StrEnum):
    ANIMAL_RESEARCH = "animal_research_authorization"
    HUMAN_RESEARCH = "human_research_authorization"
    BIOSAFETY_GMO = "biosafety_gmo_authorization"
    WILDLIFE_FIELDWORK = "wildlife_fieldwork_permit"
    CONTROLLED_SUBSTANCE = "controlled_substance_license"
    CHEMICAL_USE = "chemical_use_authorization"
    IMPORT_EXPORT = "import_export_permit"


class LicenseStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ProtocolType(StrEnum):
    PROCEDURE = "procedure"
    SUBJECT_LOG = "subject_log"


def _link(parent: str, primary: bool = True) -> Any:
    return Field(
        foreign_key=f"{parent}.id", primary_key=True, index=not primary, ondelete="CASCADE"
    )


class License(SQLModel, table=True):
    """An authorization (an animal licence, a biosafety permit) and what it covers."""

    __tablename__ = "license"
    __table_args__ = seen_by(Seen.PERSONAL)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255)
    type: str = Field(max_length=64)
    status: str = Field(default=LicenseStatus.DRAFT.value, max_length=16)
    description: str = Field(default="")
    country: str = Field(default="", max_length=2)
    license_number: str = Field(default="", max_length=128)
    valid_from: date | None = Field(default=None)
    valid_until: date | None = Field(default=None)
    is_public: bool = Field(default=False)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class LicenseHolder(SQLModel, table=True):
    __tablename__ = "license_holder"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("license", "license_id"))

    license_id: uuid.UUID = _link("license")
    user_id: int = _link("user_account", primary=False)


class LicenseSubject(SQLModel, table=True):
    __tablename__ = "license_subject"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("license", "license_id"))

    license_id: uuid.UUID = _link("license")
    subject_id: uuid.UUID = _link("subject", primary=False)


class LicenseProcedure(SQLModel, table=True):
    __tablename__ = "license_procedure"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("license", "license_id"))

    license_id: uuid.UUID = _link("license")
    procedure_id: uuid.UUID = _link("procedure", primary=False)


class LicenseBehavioralAssay(SQLModel, table=True):
    __tablename__ = "license_behavioral_assay"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("license", "license_id"))

    license_id: uuid.UUID = _link("license")
    behavioral_assay_id: uuid.UUID = _link("behavioral_assay", primary=False)


class Protocol(SQLModel, table=True):
    """A reusable method for procedures or subject logs, limited to some of their types."""

    __tablename__ = "protocol"
    __table_args__ = seen_by(Seen.PERSONAL)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255)
    protocol_type: str = Field(max_length=20)
    subtypes: list[str] = json_field([])
    description: str = Field(default="")
    url: str = Field(default="", max_length=200)
    is_public: bool = Field(default=False)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ProtocolLicense(SQLModel, table=True):
    __tablename__ = "protocol_license"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("protocol", "protocol_id"))

    protocol_id: uuid.UUID = _link("protocol")
    license_id: uuid.UUID = _link("license", primary=False)


order_index(License, "name", "id")
order_index(Protocol, "name", "id")
