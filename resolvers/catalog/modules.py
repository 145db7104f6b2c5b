"""Modules (BrainSTEM ``modules``): procedures and logs of subjects; behaviors, data
acquisitions and manipulations of sessions. Each is seen, and changed, with its subject or
session; its ``type`` picks the schema its ``details`` follow (:mod:`resolvers.details`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from gateway.db.models import (
    Behavior,
    BehaviorSubject,
    DataAcquisition,
    DataAcquisitionProcedure,
    Manipulation,
    ManipulationProcedure,
    Procedure,
    ProcedureLog,
    SubjectLog,
    table,
)
from resolvers.catalog.fields import attributes, columns
from resolvers.details import Structured
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_procedure, _log, _behavior = table(Procedure), table(SubjectLog), table(Behavior)
_acquisition, _manipulation = table(DataAcquisition), table(Manipulation)
_procedure_log = table(ProcedureLog)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."
_NOTES = Attribute("Notes on it (at most 500 characters).", writable=True)
_ORDER = Attribute("Where it is shown among its session's records.", writable=True)
_VERSION = "The version of the schema its details were checked against."


def typed(group: str) -> dict[str, Attribute]:
    """A structured record's ``type`` and ``details``, as the schemas of ``group`` say."""
    return {
        "type": Attribute(f"Its type: the {group} schema its details follow.", True, True),
        "details": Attribute("Its structured details, as the schema of its type says.", True),
        "type_schema_version": Attribute(_VERSION),
    }


def placed(what: str) -> dict[str, Attribute]:
    """A record's coordinates (``what`` says of what), checked with :data:`COORDINATES`."""
    return {
        "coordinates_system": Attribute(
            "The coordinate system its coordinates are given in.", True, True
        ),
        "coordinates_details": Attribute(f"{what}, as its coordinate system says.", True),
        "coordinates_schema_version": Attribute(
            "The version of the coordinates schema it was checked against."
        ),
    }


COORDINATES = Structured(
    "Coordinates", "coordinates_system", "coordinates_details", "coordinates_schema_version"
)


def _in_session(what: str) -> ToOne:
    return ToOne(
        "Session", "session_id", "The session it was in.", True, True, what, f"Its {what}."
    )


def _procedures(links: Table, near: str, *, required: bool = False) -> ToMany:
    return ToMany(
        "Procedure",
        links=(Link(links, near, "procedure_id"),),
        description="The procedures it relies on.",
        written_as="procedure_ids",
        required=required,
    )


def _device(what: str) -> ToOne:
    return ToOne(
        "HardwareDevice", "hardware_device_id", "The hardware device it used.", True, False,
        what, f"The {what} that used it.",
    )


def _protocol(what: str) -> ToOne:
    return ToOne(
        "Protocol", "protocol_id", "The protocol it followed.", True, False, what,
        f"The {what} that followed it.",
    )


def _common(row: Table, *names: str) -> dict[str, Any]:
    return columns(row, "id", *names, "created_at", "updated_at")


PROCEDURE = Entity(
    "Procedure",
    _procedure,
    _common(
        _procedure, "type", "date_time", "coordinates_system", "subject_id", "consumable_id",
        "hardware_device_id", "protocol_id",
    ),
    default_order=(Order("date_time", descending=True),),
    relations={
        "subject": ToOne(
            "Subject", "subject_id", "The subject it was done to.", True, True,
            "procedures", "What was done to it (surgeries, injections, implants), newest first.",
        ),
        "consumable": ToOne(
            "Consumable", "consumable_id", "The consumable it used (a probe, a virus).", True,
            False, "procedures", "The procedures that used it.",
        ),
        "hardwaredevice": _device("procedures"),
        "protocol": _protocol("procedures"),
    },
    description="A procedure done to a subject (BrainSTEM modules/procedure).",
    plural="procedures",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _procedure,
        id="Its id.",
        **typed("Procedure"),
        notes=_NOTES,
        date_time=Attribute("When it was done (UTC).", writable=True),
        **placed("Where it was done"),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    structured=(Structured("Procedure"), COORDINATES),
    brainstem=BrainstemName("modules", "procedure", "procedure", "procedures"),
)
SUBJECT_LOG = Entity(
    "SubjectLog",
    _log,
    _common(_log, "type", "description", "subject_id", "user_id", "protocol_id"),
    default_order=(Order("created_at", descending=True),),
    relations={
        "subject": ToOne(
            "Subject", "subject_id", "The subject it is kept on.", True, True,
            "subjectlogs", "Logs kept on it (weighings, water, observations), newest first.",
        ),
        "user": ToOne("User", "user_id", "Who wrote it."),
        "protocol": _protocol("subjectlogs"),
    },
    description="A log kept on a subject (BrainSTEM modules/subjectlog).",
    plural="subjectLogs",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _log,
        id="Its id.",
        **typed("SubjectLog"),
        description=Attribute("What it records (at most 500 characters).", writable=True),
        notes=Attribute("Notes on it.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    structured=(Structured("SubjectLog"),),
    author="user_id",
    brainstem=BrainstemName("modules", "subjectlog", "subject_log", "subject_logs"),
)
BEHAVIOR = Entity(
    "Behavior",
    _behavior,
    _common(_behavior, "notes", "order", "session_id", "setup_id", "behavioral_assay_id"),
    default_order=(Order("order"),),
    relations={
        "session": _in_session("behaviors"),
        "setup": ToOne(
            "Setup", "setup_id", "The setup it was recorded on.", True, False,
            "behaviors", "The behaviors recorded on it.",
        ),
        "behavioralassay": ToOne(
            "BehavioralAssay", "behavioral_assay_id", "The assay it followed.", True, False,
            "behaviors", "The behaviors that followed it.",
        ),
        "subjects": ToMany(
            "Subject",
            links=(Link(table(BehaviorSubject), "behavior_id", "subject_id"),),
            description="The subjects whose behavior it is.",
            written_as="subject_ids",
            required=True,
        ),
    },
    description="Behavior recorded in a session (BrainSTEM modules/behavior).",
    plural="behaviors",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _behavior, id="Its id.", notes=_NOTES, order=_ORDER, created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    brainstem=BrainstemName("modules", "behavior", "behavior", "behaviors"),
)
def _typed_session_record(
    name: str, row: Table, procedures: ToMany, what: str, brainstem: BrainstemName, reverse: str
) -> Entity:
    """A data acquisition or a manipulation: a typed record of a session, which lists it
    as ``reverse``."""
    return Entity(
        name,
        row,
        _common(row, "type", "order", "session_id", "hardware_device_id"),
        default_order=(Order("order"),),
        relations={
            "session": _in_session(reverse),
            "procedures": procedures,
            "hardwaredevice": _device(name.lower() + "s"),
        },
        description=f"{what} (BrainSTEM modules/{brainstem.model}).",
        plural=name[0].lower() + name[1:] + "s",
        lookups=("id",),
        writes=Writes.DIRECT,
        attributes=attributes(
            row,
            id="Its id.",
            **typed(name),
            notes=_NOTES,
            order=_ORDER,
            created_at=_CREATED,
            updated_at=_UPDATED,
        ),
        structured=(Structured(name),),
        brainstem=brainstem,
    )


DATA_ACQUISITION = _typed_session_record(
    "DataAcquisition",
    _acquisition,
    _procedures(table(DataAcquisitionProcedure), "data_acquisition_id", required=True),
    "A recording made in a session",
    BrainstemName("modules", "dataacquisition", "data_acquisition", "data_acquisitions"),
    "dataacquisition",
)
MANIPULATION = _typed_session_record(
    "Manipulation",
    _manipulation,
    _procedures(table(ManipulationProcedure), "manipulation_id", required=True),
    "A manipulation applied in a session",
    BrainstemName("modules", "manipulation", "manipulation", "manipulations"),
    "manipulations",
)

PROCEDURE_LOG = Entity(
    "ProcedureLog",
    _procedure_log,
    _common(_procedure_log, "type", "description", "procedure_id"),
    default_order=(Order("created_at", descending=True),),
    relations={
        "procedure": ToOne(
            "Procedure", "procedure_id", "The procedure it is kept on.", True, True,
            "procedurelogs", "Logs kept on it (impedances, drive displacements), newest first.",
        ),
    },
    description="Measurements logged over time on a procedure (BrainSTEM modules/procedurelog).",
    plural="procedureLogs",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _procedure_log,
        id="Its id.",
        type=Attribute("Its type: the schema its entries' details follow.", True, True),
        description=Attribute("What it records (at most 500 characters).", writable=True),
        entries=Attribute(
            "Its entries: each a date_time, notes and details as the schema of its type says.",
            writable=True,
        ),
        type_schema_version=_VERSION,
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    structured=(Structured("ProcedureLog", payload="entries", entries=True),),
    brainstem=BrainstemName("modules", "procedurelog", "procedure_log", "procedure_logs"),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (PROCEDURE, SUBJECT_LOG, BEHAVIOR, DATA_ACQUISITION, MANIPULATION, PROCEDURE_LOG)
