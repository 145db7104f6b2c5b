"""Shared reference records (BrainSTEM ``taxonomies`` and ``resources``) that setups, assays
and behaviors point at: setup types, behavioral categories and paradigms, suppliers and
hardware devices. Everyone sees them; they are read here (BrainSTEM changes them through
reviewed proposals, which these do not take yet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from gateway.db.models import (
    BehavioralCategory,
    BehavioralParadigm,
    HardwareDevice,
    SetupType,
    Supplier,
    table,
)
from resolvers.catalog.fields import attributes, columns
from resolvers.query import BrainstemName, Entity, Order
from resolvers.relations import ToOne

_setup_type, _category = table(SetupType), table(BehavioralCategory)
_paradigm, _supplier, _device = table(BehavioralParadigm), table(Supplier), table(HardwareDevice)
_RRID = "Its Research Resource Identifier (RRID:...)."
_IDENTIFIERS = "Its identifiers in other registries."


def camel(snake: str) -> str:
    """GraphQL's name for a BrainSTEM plural: ``setup_types`` -> ``setupTypes``."""
    first, *rest = snake.split("_")
    return first + "".join(part.title() for part in rest)


def _reference(
    name: str,
    row: Table,
    description: str,
    brainstem: BrainstemName,
    *filtered: str,
    relations: dict[str, ToOne] | None = None,
    **described: str,
) -> Entity:
    """A reference record: unique by name, listed by name, read-only here."""
    shown: dict[str, Any] = {
        "id": "Its id.",
        "name": "Its unique name.",
        "description": "What it is.",
        **described,
        "created_at": "When it was created (UTC).",
        "updated_at": "When it last changed (UTC).",
    }
    return Entity(
        name,
        row,
        columns(row, "id", "name", *filtered, "created_at", "updated_at"),
        default_order=(Order("name"),),
        relations=relations or {},
        description=description,
        plural=camel(brainstem.plural),
        lookups=("id", "name"),
        attributes=attributes(row, **shown),
        brainstem=brainstem,
    )


SETUP_TYPE = _reference(
    "SetupType",
    _setup_type,
    "A kind of experimental setup, e.g. a linear track (BrainSTEM taxonomies/setuptype).",
    BrainstemName("taxonomies", "setuptype", "setup_type", "setup_types"),
    "category",
    category="Its category, as one character.",
)
BEHAVIORAL_CATEGORY = _reference(
    "BehavioralCategory",
    _category,
    "A class of behaviors (BrainSTEM taxonomies/behavioralcategory).",
    BrainstemName(
        "taxonomies", "behavioralcategory", "behavioral_category", "behavioral_categories"
    ),
)
BEHAVIORAL_PARADIGM = _reference(
    "BehavioralParadigm",
    _paradigm,
    "A behavioral paradigm, e.g. a T-maze alternation (BrainSTEM taxonomies/behavioralparadigm).",
    BrainstemName(
        "taxonomies", "behavioralparadigm", "behavioral_paradigm", "behavioral_paradigms"
    ),
    "category_id",
    "rrid",
    relations={
        "category": ToOne(
            "BehavioralCategory", "category_id", "Its behavioral category.",
            reverse="paradigms", reverse_description="The paradigms in it, by name.",
        )
    },
    original_publication="The publication that introduced it.",
    reference_url="Where it is described.",
    rrid=_RRID,
    external_identifiers=_IDENTIFIERS,
)
SUPPLIER = _reference(
    "Supplier",
    _supplier,
    "A supplier of devices and consumables (BrainSTEM resources/supplier).",
    BrainstemName("resources", "supplier", "supplier", "suppliers"),
    website="Its website.",
)
HARDWARE_DEVICE = _reference(
    "HardwareDevice",
    _device,
    "A hardware device, e.g. an amplifier (BrainSTEM resources/hardwaredevice).",
    BrainstemName("resources", "hardwaredevice", "hardware_device", "hardware_devices"),
    "supplier_id",
    "rrid",
    relations={
        "supplier": ToOne(
            "Supplier", "supplier_id", "Who supplies it.",
            reverse="hardwaredevices", reverse_description="The devices it supplies, by name.",
        )
    },
    rrid=_RRID,
    external_identifiers=_IDENTIFIERS,
)

ENTITIES = (SETUP_TYPE, BEHAVIORAL_CATEGORY, BEHAVIORAL_PARADIGM, SUPPLIER, HARDWARE_DEVICE)
