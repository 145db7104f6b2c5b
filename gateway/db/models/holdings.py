"""What a lab holds: consumables (BrainSTEM ``resources``, shared by everyone), the stock of
them kept in an inventory and the equipment installed on a setup (BrainSTEM ``modules``),
each seen with the inventory or setup it belongs to."""

from __future__ import annotations

import uuid
from datetime import date, datetime
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


class ConsumableType(StrEnum):
    OPTIC_FIBER_DESIGN = "OpticFiberDesign"
    SILICON_PROBE_DESIGN = "SiliconProbeDesign"
    VIRUS_CONSTRUCT = "VirusConstruct"
    WIRE_ELECTRODE = "WireElectrode"


def _optional(parent: str) -> Any:
    return Field(default=None, foreign_key=f"{parent}.id", index=True, ondelete="SET NULL")


class Consumable(SQLModel, table=True):
    """A product used up in experiments (a probe design, a virus construct), from a
    supplier."""

    __tablename__ = "consumable"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100, unique=True, index=True)
    description: str = Field(default="", max_length=500)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True, ondelete="CASCADE")
    type: str = Field(max_length=100)
    details: Any = json_field({})
    comments: str = Field(default="")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Equipment(SQLModel, table=True):
    """A piece of equipment installed on a setup, placed in the setup's coordinates."""

    __tablename__ = "equipment"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("setup", "setup_id"))

    id: uuid.UUID = uuid_pk()
    setup_id: uuid.UUID = Field(foreign_key="setup.id", index=True, ondelete="CASCADE")
    type: str = Field(max_length=100)
    notes: str = Field(default="", max_length=500)
    date_time: datetime | None = Field(default=None, sa_type=DateTime())
    consumable_id: uuid.UUID | None = _optional("consumable")
    hardware_device_id: uuid.UUID | None = _optional("hardware_device")
    details: Any = json_field({})
    type_schema_version: str = Field(default="", max_length=20)
    coordinates_system: str = Field(max_length=100)
    coordinates_details: Any = json_field({})
    coordinates_schema_version: str = Field(default="", max_length=20)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ConsumableStock(SQLModel, table=True):
    """A stock of a consumable kept in an inventory: where, how, until when."""

    __tablename__ = "consumable_stock"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("inventory", "inventory_id"))

    id: uuid.UUID = uuid_pk()
    inventory_id: uuid.UUID = Field(foreign_key="inventory.id", index=True, ondelete="CASCADE")
    type: str = Field(max_length=100)
    notes: str = Field(default="", max_length=500)
    acquisition_date: date | None = Field(default=None)
    expiration_date: date | None = Field(default=None)
    storage_location: str = Field(default="", max_length=100)
    storage_conditions: str = Field(default="", max_length=100)
    intended_use: str = Field(default="", max_length=100)
    cost: str = Field(default="", max_length=100)
    consumable_id: uuid.UUID | None = _optional("consumable")
    details: Any = json_field({})
    type_schema_version: str = Field(default="", max_length=20)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


order_index(ConsumableStock, "created_at", "id")
order_index(Equipment, "created_at", "id")
