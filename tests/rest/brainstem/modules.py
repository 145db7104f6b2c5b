"""BrainSTEM module records for the shim's lab (:func:`tests.rest.brainstem.support.arrange`):
a procedure and a weighing log on a subject of each project, and a behavior, a data
acquisition and a manipulation in a session of each, plus a collection per project;
with what each new model's create needs (valid details by type)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    Behavior,
    BehaviorSubject,
    Breeding,
    Collection,
    CollectionSession,
    DataAcquisition,
    DataAcquisitionProcedure,
    Manipulation,
    ManipulationProcedure,
    Procedure,
    ProcedureLog,
    SubjectLog,
)
from tests.rest.support import Lab

IMPLANT = {
    "type": "SiliconProbeImplant",
    "details": {"probeId": "H3-64"},
    "coordinates_system": "Stereotaxic_BregmaAbsolute",
    "coordinates_details": {"apCoordinate": {"value": -2.0, "unit": "mm"}},
}
WEIGHING = {"type": "Weighing", "details": {"weight": {"value": 24.5, "unit": "g"}}}
RECORDING = {
    "type": "ExtracellularEphys",
    "details": {"nChannels": 64, "sr": {"value": 30, "unit": "kHz"}},
}
IMPEDANCES = {
    "type": "Impedances",
    "entries": [
        {"date_time": "2026-03-02T09:00:00Z", "notes": "", "details": {"impedances": [1.2]}}
    ],
}
STIMULATION = {
    "type": "OptogeneticStimulation",
    "details": [{"wavelength": {"value": 473, "unit": "nm"}, "profile": "Pulse train"}],
}
# (subject, session) of each project in the lab.
IN_PROJECT = {
    "open_project": ("M001", "open_morning"),
    "secret_project": ("M002", "secret_run"),
    "foreign_project": ("R001", "foreign_run"),
}



async def arrange_modules(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> None:
    """Add one of each module record per project; their ids go into ``lab.ids`` as
    ``<kind>@<project>`` (``procedure@secret_project``)."""
    ids = lab.ids
    async with sessionmaker() as session:
        for project, (subject_name, session_name) in IN_PROJECT.items():
            subject, run = uuid.UUID(ids[subject_name]), uuid.UUID(ids[session_name])
            procedure = Procedure(subject_id=subject, notes=f"{project} implant", **IMPLANT)
            log = SubjectLog(subject_id=subject, description=f"{project} weight", **WEIGHING)
            behavior = Behavior(session_id=run, notes=f"{project} licks", order=1)
            acquisition = DataAcquisition(session_id=run, notes=f"{project} ephys", **RECORDING)
            manipulation = Manipulation(session_id=run, notes=f"{project} opto", **STIMULATION)
            collection = Collection(name=f"{project} firsts", project_id=uuid.UUID(ids[project]))
            breeding = Breeding(
                name=f"{project} pair",
                project_id=uuid.UUID(ids[project]),
                mother_id=subject,
                father_id=subject,
            )
            rows = {
                "procedure": procedure,
                "subjectlog": log,
                "behavior": behavior,
                "dataacquisition": acquisition,
                "manipulation": manipulation,
                "collection": collection,
                "breeding": breeding,
            }
            session.add_all(rows.values())
            await session.flush()
            rows["procedurelog"] = ProcedureLog(
                procedure_id=procedure.id, description=f"{project} impedances", **IMPEDANCES
            )
            session.add_all(
                [
                    rows["procedurelog"],
                    BehaviorSubject(behavior_id=behavior.id, subject_id=subject),
                    DataAcquisitionProcedure(
                        data_acquisition_id=acquisition.id, procedure_id=procedure.id
                    ),
                    ManipulationProcedure(
                        manipulation_id=manipulation.id, procedure_id=procedure.id
                    ),
                    CollectionSession(collection_id=collection.id, session_id=run),
                ]
            )
            ids.update({f"{kind}@{project}": str(row.id) for kind, row in rows.items()})
        await session.commit()


def new_record(model: str, lab: Lab, project: str = "secret_project") -> dict[str, Any]:
    """A body that creates a ``model`` record in ``project``."""
    subject_name, session_name = IN_PROJECT[project]
    subject, run = lab.ids[subject_name], lab.ids[session_name]
    procedure = lab.ids[f"procedure@{project}"]
    return {
        "procedure": {"subject": subject, "notes": "second implant", **IMPLANT},
        "subjectlog": {"subject": subject, "description": "evening weight", **WEIGHING},
        "behavior": {"session": run, "subjects": [subject], "notes": "running"},
        "dataacquisition": {"session": run, "procedures": [procedure], **RECORDING},
        "manipulation": {"session": run, "procedures": [procedure], **STIMULATION},
        "collection": {"project": lab.ids[project], "name": "best", "sessions": [run]},
        "procedurelog": {"procedure": procedure, "description": "weekly", **IMPEDANCES},
        "breeding": {
            "project": lab.ids[project],
            "name": "spring pair",
            "mother": subject,
            "father": subject,
            "birth_date": "2026-04-01",
            "litter_size": 6,
        },
    }[model]


# A change of one plain field per model, as (field, new value).
CHANGE = {
    "procedure": ("notes", "moved"),
    "subjectlog": ("description", "morning weight"),
    "behavior": ("notes", "walking"),
    "dataacquisition": ("notes", "noisy"),
    "manipulation": ("notes", "weaker"),
    "collection": ("name", "better"),
    "procedurelog": ("description", "daily"),
    "breeding": ("name", "autumn pair"),
}
APPS = {"collection": "stem", "breeding": "stem"}
MODELS = sorted(CHANGE)


def url(model: str, key: str | None = None, portal: str = "private") -> str:
    app = APPS.get(model, "modules")
    return f"/api/{portal}/{app}/{model}/" + (f"{key}/" if key else "")
