"""BrainSTEM's personal attributes: a user's own setups, behavioral assays, data storages
and inventories, seen by their owner, and by everyone once made public."""

from __future__ import annotations

import uuid
from datetime import datetime
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


class _Personal(SQLModel):
    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    is_public: bool = Field(default=False)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Setup(_Personal, table=True):
    """An experimental setup (a rig) of a given setup type."""

    __tablename__ = "setup"
    __table_args__ = seen_by(Seen.PERSONAL)

    location: str = Field(default="")
    setup_type_id: uuid.UUID = Field(foreign_key="setup_type.id", index=True, ondelete="CASCADE")
    specifications: Any = json_field([])


class SetupDevice(SQLModel, table=True):
    """The hardware devices a setup holds."""

    __tablename__ = "setup_hardware_device"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("setup", "setup_id"))

    setup_id: uuid.UUID = Field(foreign_key="setup.id", primary_key=True, ondelete="CASCADE")
    hardware_device_id: uuid.UUID = Field(
        foreign_key="hardware_device.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class BehavioralAssay(_Personal, table=True):
    """A behavioral paradigm as run on a type of setup."""

    __tablename__ = "behavioral_assay"
    __table_args__ = seen_by(Seen.PERSONAL)

    setup_type_id: uuid.UUID = Field(foreign_key="setup_type.id", index=True, ondelete="CASCADE")
    behavioral_paradigm_id: uuid.UUID = Field(
        foreign_key="behavioral_paradigm.id", index=True, ondelete="CASCADE"
    )


class DataStorage(_Personal, table=True):
    """Where data are kept, and how they are organised and reached."""

    __tablename__ = "data_storage"
    __table_args__ = seen_by(Seen.PERSONAL)

    location: str = Field(default="")
    data_organization: dict[str, Any] = json_field({})
    data_protocols: dict[str, Any] = json_field({})


class Inventory(_Personal, table=True):
    __tablename__ = "inventory"
    __table_args__ = seen_by(Seen.PERSONAL)

    location: str = Field(default="")


# The indexes serving each list's default order (resolvers/catalog).
order_index(BehavioralAssay, "name", "id")
order_index(DataStorage, "name", "id")
order_index(Inventory, "name", "id")
order_index(Setup, "name", "id")
