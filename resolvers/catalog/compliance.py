"""Licenses and protocols (BrainSTEM ``personal_attributes``): the authorizations a lab
works under, and the reusable methods its procedures and subject logs follow. Their owner
sees and changes them; everyone sees those made public. A new one belongs to whoever
creates it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, or_

from gateway.db.models import (
    License,
    LicenseBehavioralAssay,
    LicenseHolder,
    LicenseProcedure,
    LicenseSubject,
    Protocol,
    ProtocolLicense,
    table,
)
from gateway.db.models.compliance import LicenseStatus, LicenseType, ProtocolType
from resolvers.catalog.fields import attributes, choices, columns
from resolvers.query import Attribute, BrainstemName, Entity, Invariant, Order, Writes
from resolvers.relations import Link, Relation, ToMany, ToOne

_license, _protocol = table(License), table(Protocol)


def _covers(target: str, links: type, far: str, what: str, *, written: bool = True) -> ToMany:
    return ToMany(
        target,
        links=(Link(table(links), "license_id", far),),
        description=what,
        written_as=far + "s" if written else "",
    )


def _in_order(rows: Any) -> ColumnElement[bool]:
    start, end = rows.c.valid_from, rows.c.valid_until
    return or_(start.is_(None), end.is_(None), end >= start)


def _owned(
    name: str,
    row: Table,
    description: str,
    brainstem: BrainstemName,
    filtered: tuple[str, ...],
    relations: dict[str, Relation],
    invariants: tuple[Invariant, ...] = (),
    **described: Any,
) -> Entity:
    return Entity(
        name,
        row,
        columns(row, "id", "name", "is_public", "user_id", *filtered, "created_at", "updated_at"),
        default_order=(Order("name"),),
        relations={"user": ToOne("User", "user_id", "Who owns it."), **relations},
        description=description,
        plural=brainstem.plural,
        lookups=("id",),
        writes=Writes.DIRECT,
        attributes=attributes(
            row,
            id="Its id.",
            name=Attribute("Its name (at most 255 characters).", writable=True, required=True),
            description=Attribute("What it is (rich text).", writable=True),
            is_public=Attribute("Whether everyone may see it.", writable=True),
            **described,
            created_at="When it was created (UTC).",
            updated_at="When it last changed (UTC).",
        ),
        author="user_id",
        brainstem=brainstem,
        invariants=invariants,
    )


LICENSE = _owned(
    "License",
    _license,
    "An authorization the lab works under, e.g. an animal research licence (BrainSTEM "
    "personal_attributes/license).",
    BrainstemName("personal_attributes", "license", "license", "licenses"),
    ("type", "status", "country", "valid_from", "valid_until"),
    {
        "license_holders": ToMany(
            "User",
            links=(Link(table(LicenseHolder), "license_id", "user_id"),),
            description="Who holds it.",
        ),
        "subjects": _covers("Subject", LicenseSubject, "subject_id", "The subjects it covers."),
        "procedures": _covers(
            "Procedure", LicenseProcedure, "procedure_id", "The procedures it covers."
        ),
        "behavioralassays": _covers(
            "BehavioralAssay", LicenseBehavioralAssay, "behavioral_assay_id",
            "The behavioral assays it covers.",
        ),
    },
    (Invariant("valid_until", "It must end on or after valid_from.", _in_order),),
    type=Attribute(
        "What it authorizes.",
        writable=True,
        required=True,
        choices=choices(
            LicenseType,
            ANIMAL_RESEARCH="Research on animals.",
            HUMAN_RESEARCH="Research on humans.",
            BIOSAFETY_GMO="Work with biohazards or genetically modified organisms.",
            WILDLIFE_FIELDWORK="Fieldwork on wildlife.",
            CONTROLLED_SUBSTANCE="Use of controlled substances.",
            CHEMICAL_USE="Use of regulated chemicals.",
            IMPORT_EXPORT="Import or export of regulated material.",
        ),
    ),
    status=Attribute(
        "Where it stands (draft when not given).",
        writable=True,
        choices=choices(
            LicenseStatus,
            DRAFT="Being written.",
            PENDING="Submitted, awaiting the authority.",
            ACTIVE="In force.",
            SUSPENDED="Suspended by the authority.",
            EXPIRED="Past its end.",
            REVOKED="Withdrawn by the authority.",
        ),
    ),
    country=Attribute("The country it holds in (ISO 3166-1 alpha-2).", writable=True),
    license_number=Attribute("Its number (at most 128 characters).", writable=True),
    valid_from=Attribute("The first day it holds.", writable=True),
    valid_until=Attribute("The last day it holds.", writable=True),
)
PROTOCOL = _owned(
    "Protocol",
    _protocol,
    "A reusable method for procedures or subject logs (BrainSTEM personal_attributes/"
    "protocol).",
    BrainstemName("personal_attributes", "protocol", "protocol", "protocols"),
    ("protocol_type",),
    {
        "licenses": ToMany(
            "License",
            links=(Link(table(ProtocolLicense), "protocol_id", "license_id"),),
            description="The licenses it works under.",
            written_as="license_ids",
        ),
    },
    protocol_type=Attribute(
        "What it is a method for.",
        writable=True,
        required=True,
        choices=choices(
            ProtocolType, PROCEDURE="Procedures.", SUBJECT_LOG="Subject logs."
        ),
    ),
    subtypes=Attribute(
        "The procedure or subject log types it is for (none: every type).", writable=True
    ),
    url=Attribute("Where it is described (at most 200 characters).", writable=True),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (LICENSE, PROTOCOL)
