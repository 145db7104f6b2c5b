"""Alyx's actions on a subject: weighings, water given, water restrictions and surgeries,
with the water types and procedure types they name. Each action is seen, and changed, with
its subject; the two reference lists are seen by everyone and changed by admins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from gateway.db.models._base import (
    Seen,
    created_at,
    order_index,
    seen_by,
    updated_at,
    utcnow,
    uuid_pk,
)


def _subject() -> uuid.UUID:
    return Field(foreign_key="subject.id", index=True, ondelete="CASCADE")  # type: ignore[no-any-return]


def _user() -> int | None:
    return Field(  # type: ignore[no-any-return]
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )


def _water_type() -> uuid.UUID | None:
    return Field(  # type: ignore[no-any-return]
        default=None, foreign_key="water_type.id", index=True, ondelete="SET NULL"
    )


def _when() -> datetime | None:
    """Alyx's ``date_time``/``start_time``: nullable, now when not given."""
    return Field(default_factory=utcnow, sa_type=DateTime(), nullable=True)  # type: ignore[no-any-return]


class WaterType(SQLModel, table=True):
    """A kind of water given (Water, Hydrogel, Citric acid water, ...)."""

    __tablename__ = "water_type"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=128, unique=True, index=True)


class ProcedureType(SQLModel, table=True):
    """A kind of procedure performed on a subject (Alyx's ``procedures``)."""

    __tablename__ = "procedure_type"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    description: str = Field(default="")


class Weighing(SQLModel, table=True):
    """A weighing of a subject, in grams."""

    __tablename__ = "weighing"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _subject()
    user_id: int | None = _user()
    date_time: datetime | None = _when()
    weight: float
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class WaterAdministration(SQLModel, table=True):
    """Water given to a subject, in millilitres (none recorded: ad libitum)."""

    __tablename__ = "water_administration"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _subject()
    user_id: int | None = _user()
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="session.id", index=True, ondelete="SET NULL"
    )
    date_time: datetime | None = _when()
    water_administered: float | None = None
    water_type_id: uuid.UUID | None = _water_type()
    adlib: bool = Field(default=False)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class WaterRestriction(SQLModel, table=True):
    """A period a subject's water is restricted (no end: still restricted)."""

    __tablename__ = "water_restriction"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _subject()
    start_time: datetime | None = _when()
    end_time: datetime | None = Field(default=None, sa_type=DateTime())
    reference_weight: float = Field(default=0.0)
    water_type_id: uuid.UUID | None = _water_type()
    narrative: str = Field(default="")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Surgery(SQLModel, table=True):
    """A surgery on a subject, with the weight of what was implanted."""

    __tablename__ = "surgery"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("subject", "subject_id"))

    id: uuid.UUID = uuid_pk()
    subject_id: uuid.UUID = _subject()
    lab_id: uuid.UUID | None = Field(
        default=None, foreign_key="laboratory.id", index=True, ondelete="SET NULL"
    )
    name: str = Field(default="", max_length=255)
    narrative: str = Field(default="")
    start_time: datetime | None = _when()
    end_time: datetime | None = Field(default=None, sa_type=DateTime())
    outcome_type: str = Field(default="", max_length=1)
    implant_weight: float = Field(default=0.0)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


def _action_users(action: str) -> dict[str, object]:
    return seen_by(Seen.WITH_PARENT, parent=(action, f"{action}_id"))


class WaterRestrictionUser(SQLModel, table=True):
    """Who restricted a subject's water (Alyx's ``users`` of the action)."""

    __tablename__ = "water_restriction_user"
    __table_args__ = _action_users("water_restriction")

    water_restriction_id: uuid.UUID = Field(
        foreign_key="water_restriction.id", primary_key=True, ondelete="CASCADE"
    )
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class SurgeryUser(SQLModel, table=True):
    """Who performed a surgery (Alyx's ``users`` of the action)."""

    __tablename__ = "surgery_user"
    __table_args__ = _action_users("surgery")

    surgery_id: uuid.UUID = Field(foreign_key="surgery.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class SurgeryProcedure(SQLModel, table=True):
    __tablename__ = "surgery_procedure"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("surgery", "surgery_id"))

    surgery_id: uuid.UUID = Field(foreign_key="surgery.id", primary_key=True, ondelete="CASCADE")
    procedure_type_id: uuid.UUID = Field(
        foreign_key="procedure_type.id", primary_key=True, index=True, ondelete="CASCADE"
    )


order_index(Weighing, "-date_time", "id")
order_index(WaterAdministration, "-date_time", "id")
# Alyx's order (``-end_time, -start_time`` on PostgreSQL): the restrictions under way first.
order_index(
    WaterRestriction, "-end_time", "-start_time", "id", null_largest=("end_time", "start_time")
)
order_index(Surgery, "-start_time", "id")
