"""What a lab holds: consumables from suppliers (BrainSTEM ``resources/consumable``, read
by everyone, added, changed and deleted through approval like the other resources), the
stock of them kept in inventories and the equipment installed on setups (``modules``), seen
and changed with their inventory or setup. Typed records' ``details`` follow the schema of
their ``type`` (:mod:`resolvers.details`)."""

from __future__ import annotations

from gateway.db.models import Consumable, ConsumableStock, Equipment, table
from gateway.db.models.holdings import ConsumableType
from resolvers.catalog.fields import attributes, choices, columns
from resolvers.catalog.modules import COORDINATES, placed, typed
from resolvers.details import Structured
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import ToOne

_consumable = table(Consumable)
_equipment, _stock = table(Equipment), table(ConsumableStock)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."
_NOTES = Attribute("Notes on it (at most 500 characters).", writable=True)


def _of_consumable(reverse: str, what: str) -> ToOne:
    return ToOne(
        "Consumable", "consumable_id", "The consumable it is.", True, False, reverse, what
    )


CONSUMABLE = Entity(
    "Consumable",
    _consumable,
    columns(_consumable, "id", "name", "type", "supplier_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "supplier": ToOne(
            "Supplier", "supplier_id", "Who supplies it.", writable=True, required=True,
            reverse="consumables", reverse_description="The consumables it supplies, by name.",
        )
    },
    description="A product used up in experiments, e.g. a probe design or a virus construct "
    "(BrainSTEM resources/consumable).",
    writes=Writes.APPROVAL,
    plural="consumables",
    lookups=("id", "name"),
    attributes=attributes(
        _consumable,
        id="Its id.",
        name=Attribute("Its unique name.", writable=True, required=True),
        description=Attribute("What it is.", writable=True),
        type=Attribute(
            "Its kind.",
            writable=True,
            required=True,
            choices=choices(
                ConsumableType,
                OPTIC_FIBER_DESIGN="An optic fiber design.",
                SILICON_PROBE_DESIGN="A silicon probe design.",
                VIRUS_CONSTRUCT="A virus construct.",
                WIRE_ELECTRODE="A wire electrode.",
            ),
        ),
        details=Attribute("Its specifications.", writable=True),
        comments=Attribute("Comments on it.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    brainstem=BrainstemName("resources", "consumable", "consumable", "consumables"),
)
EQUIPMENT = Entity(
    "Equipment",
    _equipment,
    columns(
        _equipment, "id", "type", "date_time", "coordinates_system", "setup_id",
        "consumable_id", "hardware_device_id", "created_at", "updated_at",
    ),
    default_order=(Order("created_at"),),
    relations={
        "setup": ToOne(
            "Setup", "setup_id", "The setup it is installed on.", True, True,
            "equipment", "The equipment installed on it.",
        ),
        "consumable": _of_consumable("equipment", "The equipment made of it."),
        "hardwaredevice": ToOne(
            "HardwareDevice", "hardware_device_id", "The hardware device it is.", True, False,
            "equipment", "The equipment that is this device.",
        ),
    },
    description="A piece of equipment installed on a setup (BrainSTEM modules/equipment).",
    plural="equipment",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _equipment,
        id="Its id.",
        **typed("Equipment"),
        notes=_NOTES,
        date_time=Attribute("When it was installed (UTC).", writable=True),
        **placed("Where it is"),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    structured=(Structured("Equipment"), COORDINATES),
    brainstem=BrainstemName("modules", "equipment", "equipment", "equipment"),
)
CONSUMABLE_STOCK = Entity(
    "ConsumableStock",
    _stock,
    columns(
        _stock, "id", "type", "acquisition_date", "expiration_date", "inventory_id",
        "consumable_id", "created_at", "updated_at",
    ),
    default_order=(Order("created_at"),),
    relations={
        "inventory": ToOne(
            "Inventory", "inventory_id", "The inventory it is kept in.", True, True,
            "consumablestocks", "The stocks of consumables kept in it.",
        ),
        "consumable": _of_consumable("consumablestocks", "The stocks kept of it."),
    },
    description="A stock of a consumable kept in an inventory (BrainSTEM "
    "modules/consumablestock).",
    plural="consumableStocks",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _stock,
        id="Its id.",
        **typed("ConsumableStock"),
        notes=_NOTES,
        acquisition_date=Attribute("When it was acquired.", writable=True),
        expiration_date=Attribute("When it expires.", writable=True),
        storage_location=Attribute("Where it is stored (at most 100 characters).", True),
        storage_conditions=Attribute("How it is stored (at most 100 characters).", True),
        intended_use=Attribute("What it is meant for (at most 100 characters).", True),
        cost=Attribute("What it cost (at most 100 characters).", True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    structured=(Structured("ConsumableStock"),),
    brainstem=BrainstemName("modules", "consumablestock", "consumablestock", "consumablestock"),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (CONSUMABLE, EQUIPMENT, CONSUMABLE_STOCK)
