"""Accounts: laboratories, users, lab memberships, tokens and device-login requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from gateway.db.models._base import (
    SECRET,
    Seen,
    created_at,
    json_field,
    seen_by,
    updated_at,
    uuid_pk,
)


class Laboratory(SQLModel, table=True):
    __tablename__ = "laboratory"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    # BrainSTEM names a laboratory through its group; one made there gets a name of its own.
    name: str = Field(
        default_factory=lambda: f"lab_{uuid.uuid4().hex[:12]}",
        max_length=255,
        unique=True,
        index=True,
    )
    institution: str = Field(default="", max_length=255)
    address: str = Field(default="", max_length=255)
    timezone: str = Field(default="UTC", max_length=64)
    json_data: dict | None = json_field()
    # BrainSTEM's laboratory: the group it is, and where it is.
    group_id: int | None = Field(
        default=None, foreign_key="user_group.id", index=True, ondelete="SET NULL"
    )
    description: str = Field(default="", max_length=500)
    website: str = Field(default="", max_length=200)
    department: str = Field(default="", max_length=100)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=100)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class LabPrincipalInvestigator(SQLModel, table=True):
    """BrainSTEM's ``principal_investigators`` of a laboratory."""

    __tablename__ = "lab_principal_investigator"
    __table_args__ = seen_by(Seen.EVERYONE)

    lab_id: uuid.UUID = Field(foreign_key="laboratory.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: int | None = Field(default=None, primary_key=True)
    # The id Alyx shows (its users have UUID keys); BrainSTEM's and GraphQL's is ``id``.
    alyx_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True, index=True)
    email: str = Field(max_length=254, unique=True, index=True)
    username: str = Field(max_length=150, unique=True, index=True)
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)
    password_hash: str | None = Field(default=None, max_length=255, sa_column_kwargs=SECRET)
    is_admin: bool = Field(default=False)
    is_reviewer: bool = Field(default=False)
    is_active: bool = Field(default=True)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class LabMembership(SQLModel, table=True):
    __tablename__ = "lab_membership"
    __table_args__ = seen_by(Seen.EVERYONE)

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    lab_id: uuid.UUID = Field(foreign_key="laboratory.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=32)
    start_date: date | None = None
    end_date: date | None = None


class Token(SQLModel, table=True):
    """Every credential the gateway issues; only a hash of the secret is stored."""

    __tablename__ = "token"
    __table_args__ = seen_by(Seen.OWN)

    id: uuid.UUID = uuid_pk()
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # personal, access, refresh, session, alyx
    name: str = Field(default="", max_length=200)
    secret_hash: str = Field(max_length=128, unique=True, index=True, sa_column_kwargs=SECRET)
    prefix: str = Field(default="", max_length=16)
    family_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = created_at()
    expires_at: datetime | None = Field(default=None, sa_type=DateTime())
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime())
    used_at: datetime | None = Field(default=None, sa_type=DateTime())
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime())


class DeviceLogin(SQLModel, table=True):
    """An RFC 8628-style device authorization request (BrainSTEM's device login)."""

    __tablename__ = "device_login"
    __table_args__ = seen_by(Seen.NOBODY)

    id: uuid.UUID = uuid_pk()
    device_code_hash: str = Field(max_length=128, unique=True, index=True, sa_column_kwargs=SECRET)
    user_code: str = Field(max_length=16, unique=True, index=True)
    client_name: str = Field(default="", max_length=200)
    status: str = Field(default="pending", max_length=16)  # pending, approved, denied, used
    user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="CASCADE")
    interval: int = Field(default=5)
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_type=DateTime())
