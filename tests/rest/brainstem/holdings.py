"""BrainSTEM's owned records for the shim's lab (:func:`tests.rest.brainstem.support.arrange`):
alice's equipment on a private and a public setup, consumable stock in a private and a public
inventory, and a private and a public license and protocol, keyed ``<model>@private`` and
``<model>@public`` in ``lab.ids``; a supplier's consumable everyone sees; what each model's
create needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    Consumable,
    ConsumableStock,
    Equipment,
    HardwareDevice,
    Inventory,
    License,
    Protocol,
    Setup,
    SetupType,
    Supplier,
)
from tests.factories import build
from tests.rest.support import Lab

CAMERA = {
    "type": "Camera",
    "details": {},
    "coordinates_system": "External_XYZ_Absolute",
    "coordinates_details": {"x": {"value": 1.0, "unit": "mm"}},
}
PROBES = {
    "type": "SiliconProbe",
    "details": {"probeIds": "H3-1, H3-2", "quantity": 2},
    "storage_location": "Drawer 3",
}
# Owned models: (app, the body a create needs besides its parent, a change of one field).
OWNED = {
    "equipment": ("modules", CAMERA, ("notes", "moved")),
    "consumablestock": ("modules", PROBES, ("cost", "1200 EUR")),
    "license": (
        "personal_attributes",
        {"name": "PPL 2026", "type": "animal_research_authorization", "valid_from": "2026-01-01"},
        ("status", "active"),
    ),
    "protocol": (
        "personal_attributes",
        {"name": "Handling SOP", "protocol_type": "subject_log", "subtypes": ["Handling"]},
        ("url", "https://lab.org/sop"),
    ),
}


async def arrange_holdings(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> None:
    alice = lab.users["alice"]

    async def recipe(world: Any) -> None:
        supplier = await world.add(Supplier(name="Cambridge NeuroTech"))
        probe = await world.add(
            Consumable(name="ASSY-77 H3", supplier_id=supplier.id, type="SiliconProbeDesign")
        )
        device = await world.add(HardwareDevice(name="FLIR Blackfly", supplier_id=supplier.id))
        track = await world.add(SetupType(name="Linear track"))
        lab.ids.update(consumable=str(probe.id), camera=str(device.id), track=str(track.id))
        for where, public in (("private", False), ("public", True)):
            setup = await world.add(
                Setup(name=f"{where} rig", setup_type_id=track.id, user_id=alice, is_public=public)
            )
            inventory = await world.add(
                Inventory(name=f"{where} fridge", user_id=alice, is_public=public)
            )
            rows = {
                "equipment": Equipment(
                    setup_id=setup.id, hardware_device_id=device.id, notes=where, **CAMERA
                ),
                "consumablestock": ConsumableStock(
                    inventory_id=inventory.id, consumable_id=probe.id, notes=where, **PROBES
                ),
                "license": License(
                    name=f"{where} licence", type="animal_research_authorization",
                    user_id=alice, is_public=public,
                ),
                "protocol": Protocol(
                    name=f"{where} protocol", protocol_type="procedure", user_id=alice,
                    is_public=public,
                ),
            }
            for row in rows.values():
                await world.add(row)
            lab.ids.update({f"{model}@{where}": str(row.id) for model, row in rows.items()})
            lab.ids.update(
                {f"setup@{where}": str(setup.id), f"inventory@{where}": str(inventory.id)}
            )

    await build(sessionmaker, recipe)


def new_owned(model: str, lab: Lab, where: str = "private") -> dict[str, Any]:
    """A body that creates a ``model`` record on alice's ``where`` setup or inventory."""
    parent = {"equipment": "setup", "consumablestock": "inventory"}.get(model)
    body = dict(OWNED[model][1])
    return {**body, parent: lab.ids[f"{parent}@{where}"]} if parent else body


def owned_url(model: str, key: str | None = None, portal: str = "private") -> str:
    return f"/api/{portal}/{OWNED[model][0]}/{model}/" + (f"{key}/" if key else "")
