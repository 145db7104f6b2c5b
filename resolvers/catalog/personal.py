"""Personal attributes (BrainSTEM ``personal_attributes``): a user's own setups, behavioral
assays, data storages and inventories. Their owner sees and changes them; everyone sees
those made public. A new one belongs to whoever creates it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from gateway.db.models import (
    BehavioralAssay,
    DataStorage,
    Inventory,
    Setup,
    SetupDevice,
    table,
)
from resolvers.catalog.fields import attributes, columns
from resolvers.catalog.references import camel
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import Link, Relation, ToMany, ToOne

_setup, _assay = table(Setup), table(BehavioralAssay)
_storage, _inventory = table(DataStorage), table(Inventory)
_LOCATION = Attribute("Where it is.", writable=True)


def _personal(
    name: str,
    row: Table,
    description: str,
    brainstem: BrainstemName,
    *filtered: str,
    relations: dict[str, Relation] | None = None,
    **described: Attribute,
) -> Entity:
    owner = ToOne("User", "user_id", "Who owns it.")
    shown: dict[str, Any] = {
        "id": "Its id.",
        "name": Attribute("Its name (at most 100 characters).", writable=True, required=True),
        "description": Attribute("What it is (at most 500 characters).", writable=True),
        "is_public": Attribute("Whether everyone may see it.", writable=True),
        **described,
        "created_at": "When it was created (UTC).",
        "updated_at": "When it last changed (UTC).",
    }
    return Entity(
        name,
        row,
        columns(row, "id", "name", "is_public", "user_id", *filtered, "created_at", "updated_at"),
        default_order=(Order("name"),),
        relations={"user": owner, **(relations or {})},
        description=description,
        plural=camel(brainstem.plural),
        lookups=("id",),
        writes=Writes.DIRECT,
        attributes=attributes(row, **shown),
        author="user_id",
        brainstem=brainstem,
    )


def _setup_type(of: str) -> ToOne:
    return ToOne(
        "SetupType", "setup_type_id", "Its type of setup.", True, True, of,
        f"The {of.replace('_', ' ')} of this type, as their owners share them.",
    )


SETUP = _personal(
    "Setup",
    _setup,
    "An experimental setup, a rig (BrainSTEM personal_attributes/setup).",
    BrainstemName("personal_attributes", "setup", "setup", "setups"),
    "setup_type_id",
    relations={
        "setup_type": _setup_type("setups"),
        "hardware_devices": ToMany(
            "HardwareDevice",
            links=(Link(table(SetupDevice), "setup_id", "hardware_device_id"),),
            description="The hardware devices it holds, by name.",
            written_as="hardware_device_ids",
        ),
    },
    location=_LOCATION,
    specifications=Attribute("Its specifications (a JSON array).", writable=True),
)
BEHAVIORAL_ASSAY = _personal(
    "BehavioralAssay",
    _assay,
    "A behavioral paradigm as run on a type of setup (BrainSTEM personal_attributes/"
    "behavioralassay).",
    BrainstemName(
        "personal_attributes", "behavioralassay", "behavioral_assay", "behavioral_assays"
    ),
    "setup_type_id",
    "behavioral_paradigm_id",
    relations={
        "setup_type": _setup_type("behavioral_assays"),
        "behavioral_paradigm": ToOne(
            "BehavioralParadigm", "behavioral_paradigm_id", "The paradigm it runs.", True, True,
            "behavioral_assays", "The assays that run it, as their owners share them.",
        ),
    },
)
DATA_STORAGE = _personal(
    "DataStorage",
    _storage,
    "Where data are kept (BrainSTEM personal_attributes/datastorage).",
    BrainstemName("personal_attributes", "datastorage", "datastorage", "datastorages"),
    location=_LOCATION,
    data_organization=Attribute("How the data are organised there.", writable=True),
    data_protocols=Attribute("How the data are reached.", writable=True),
)
INVENTORY = _personal(
    "Inventory",
    _inventory,
    "An inventory of consumables (BrainSTEM personal_attributes/inventory).",
    BrainstemName("personal_attributes", "inventory", "inventory", "inventories"),
    location=_LOCATION,
)

ENTITIES = (SETUP, BEHAVIORAL_ASSAY, DATA_STORAGE, INVENTORY)
