"""The demo's slice of what a lab holds and works under: consumables from the demo supplier
and their stock in an inventory, equipment on a setup, impedances logged on an implant, a
breeding of two subjects, and the licence and protocol the implants follow. Every details
payload satisfies the vendored BrainSTEM schema of its type."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import (
    Breeding,
    Consumable,
    ConsumableStock,
    Equipment,
    HardwareDevice,
    Inventory,
    License,
    LicenseProcedure,
    LicenseSubject,
    Procedure,
    ProcedureLog,
    Protocol,
    ProtocolLicense,
    table,
)


@dataclass(frozen=True)
class Lab:
    """Where the slice hangs: a project's owner, their setup, the project, two of its
    subjects (a mother and a father) and their implants."""

    owner: int
    setup_id: uuid.UUID
    supplier_id: uuid.UUID
    project_id: uuid.UUID
    mother_id: uuid.UUID
    father_id: uuid.UUID
    implant_ids: tuple[uuid.UUID, ...]
    when: datetime


async def seed_holdings(session: AsyncSession, lab: Lab) -> None:
    probe = Consumable(
        name="A1x32-Poly3-10mm-50-177",
        description="32-channel single-shank silicon probe",
        supplier_id=lab.supplier_id,
        type="SiliconProbeDesign",
        details={"nChannels": 32, "nShanks": 1, "layout": "poly3"},
    )
    virus = Consumable(
        name="AAV5-hSyn-hChR2(H134R)-EYFP",
        description="Channelrhodopsin-2 under the human synapsin promoter",
        supplier_id=lab.supplier_id,
        type="VirusConstruct",
        details={"virus_type": "AAV", "serotype": "5"},
    )
    camera = HardwareDevice(
        name="FLIR Blackfly S BFS-U3-16S2M", description="Monochrome USB3 camera",
        supplier_id=lab.supplier_id,
    )  # fmt: skip
    freezer = Inventory(
        name="-80 freezer, room 2.14", location="Room 2.14", user_id=lab.owner, is_public=True
    )
    session.add_all([probe, virus, camera, freezer])
    await session.flush()
    licence = License(
        name="PPL: Brain-wide decision making 2024-2029",
        type="animal_research_authorization",
        status="active",
        country="GB",
        license_number="PP1234567",
        valid_from=date(2024, 1, 1),
        valid_until=date(2029, 12, 31),
        user_id=lab.owner,
        is_public=True,
    )
    protocol = Protocol(
        name="Chronic silicon probe implant SOP",
        protocol_type="procedure",
        subtypes=["SiliconProbeImplant"],
        description="Stereotaxic implant of a chronic silicon probe under isoflurane.",
        user_id=lab.owner,
        is_public=True,
    )
    session.add_all(
        [
            licence,
            protocol,
            Equipment(
                setup_id=lab.setup_id, type="Camera", hardware_device_id=camera.id,
                notes="Face and pupil camera", date_time=lab.when - timedelta(days=30),
                details={}, type_schema_version="1.0.0",
                coordinates_system="External_XYZ_Absolute",
                coordinates_details={
                    "x": {"value": 120, "unit": "mm"}, "y": {"value": 0, "unit": "mm"},
                    "z": {"value": 40, "unit": "mm"},
                },
                coordinates_schema_version="1.1.0",
            ),
            ConsumableStock(
                inventory_id=freezer.id, consumable_id=probe.id, type="SiliconProbe",
                notes="Spare probes", acquisition_date=date(2024, 1, 15),
                storage_location="Drawer 3", storage_conditions="Dry, room temperature",
                intended_use="Chronic implants", cost="4 x 1,100 EUR",
                details={"probeIds": "P1021, P1022, P1023, P1024", "quantity": 4},
                type_schema_version="1.0.0",
            ),
            ConsumableStock(
                inventory_id=freezer.id, consumable_id=virus.id, type="VirusSolution",
                notes="Aliquoted on arrival", acquisition_date=date(2024, 2, 1),
                expiration_date=date(2025, 2, 1), storage_location="Box A, -80",
                storage_conditions="-80 C", intended_use="Optogenetics",
                details={
                    "titer": {"value": 2.1e13, "unit": "vg/mL"}, "aliquotCount": 10,
                    "aliquotVolume": {"value": 5, "unit": "µL"},
                },
                type_schema_version="1.1.1",
            ),
            Breeding(
                name="C57BL/6J pair, spring 2024", project_id=lab.project_id,
                mother_id=lab.mother_id, father_id=lab.father_id,
                description="Breeding for the next cohort", tags=["demo"],
                start_date=date(2024, 3, 1), birth_date=date(2024, 3, 22),
                weaning_date=date(2024, 4, 12), litter_size=7,
                expected_genotype="wild type",
            ),
            *(
                ProcedureLog(
                    procedure_id=implant, type="Impedances",
                    description="Impedances at 1 kHz, weekly", type_schema_version="1.0.1",
                    entries=[
                        {
                            "date_time": f"{lab.when + timedelta(weeks=week):%Y-%m-%dT%H:%M:%SZ}",
                            "notes": "",
                            "details": {"impedances": [0.8 + 0.1 * week, 1.1 + 0.1 * week]},
                        }
                        for week in range(3)
                    ],
                )
                for implant in lab.implant_ids
            ),
        ]
    )  # fmt: skip
    await session.flush()
    session.add(ProtocolLicense(protocol_id=protocol.id, license_id=licence.id))
    session.add_all(
        LicenseSubject(license_id=licence.id, subject_id=subject)
        for subject in (lab.mother_id, lab.father_id)
    )
    session.add_all(
        LicenseProcedure(license_id=licence.id, procedure_id=implant) for implant in lab.implant_ids
    )
    procedures = table(Procedure)
    await session.execute(
        update(procedures)
        .where(procedures.c.id.in_(lab.implant_ids))
        .values(protocol_id=protocol.id, consumable_id=probe.id)
    )
