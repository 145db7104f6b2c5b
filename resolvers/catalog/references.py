"""Shared reference records (BrainSTEM ``taxonomies`` and ``resources``) that setups, assays,
behaviors and licenses point at: setup types, behavioral categories and paradigms, regulatory
authorities, suppliers and hardware devices. Everyone sees them; as in BrainSTEM, they change
through reviewed proposals (:mod:`resolvers.approvals`) and only administrators delete them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Table

from gateway.db.models import (
    BehavioralCategory,
    BehavioralParadigm,
    HardwareDevice,
    RegulatoryAuthority,
    SetupType,
    Supplier,
    table,
)
from resolvers.catalog.fields import attributes, choices, columns
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import ToOne

_setup_type, _category = table(SetupType), table(BehavioralCategory)
_paradigm, _supplier, _device = table(BehavioralParadigm), table(Supplier), table(HardwareDevice)
_authority = table(RegulatoryAuthority)
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
    plural: str = "",
    **described: str | Attribute,
) -> Entity:
    """A reference record: unique by name, listed by name, written through approval (every
    field it shows besides its id and timestamps is proposed)."""
    shown: dict[str, Any] = {
        "id": "Its id.",
        "name": Attribute("Its unique name.", writable=True, required=True),
        "description": Attribute("What it is.", writable=True),
        **{
            name: value if isinstance(value, Attribute) else Attribute(value, writable=True)
            for name, value in described.items()
        },
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
        plural=plural or camel(brainstem.plural),
        lookups=("id", "name"),
        attributes=attributes(row, **shown),
        writes=Writes.APPROVAL,
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
    "parent_id",
    relations={
        "parent": ToOne(
            "BehavioralCategory", "parent_id", "The broader category it belongs to.",
            writable=True,
            reverse="children", reverse_description="The narrower categories in it, by name.",
        )
    },
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
            "BehavioralCategory", "category_id", "Its behavioral category.", writable=True,
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
            "Supplier", "supplier_id", "Who supplies it.", writable=True, required=True,
            reverse="hardwaredevices", reverse_description="The devices it supplies, by name.",
        )
    },
    rrid=_RRID,
    external_identifiers=_IDENTIFIERS,
)


class AuthorityType(StrEnum):
    """What a regulatory authority's remit is (``RegulatoryAuthority.authority_type``)."""

    NATIONAL = "national"
    INSTITUTIONAL = "institutional"
    REGIONAL = "regional"
    INTERNATIONAL = "international"


REGULATORY_AUTHORITY = _reference(
    "RegulatoryAuthority",
    _authority,
    "A body that issues licenses for animal research, e.g. an IACUC or the UK Home Office "
    "(BrainSTEM taxonomies/regulatoryauthority).",
    BrainstemName(
        "taxonomies", "regulatoryauthority", "regulatoryauthority", "regulatoryauthorities"
    ),
    "abbreviation",
    "country",
    "authority_type",
    "is_active",
    plural="regulatoryAuthorities",
    abbreviation="Its abbreviation, e.g. IACUC.",
    country="Its country, as an ISO 3166-1 alpha-2 code (GB).",
    authority_type=Attribute(
        "Its remit.",
        writable=True,
        choices=choices(
            AuthorityType,
            NATIONAL="A national authority.",
            INSTITUTIONAL="An institution's own committee.",
            REGIONAL="A regional authority.",
            INTERNATIONAL="An international body.",
        ),
    ),
    website="Its website.",
    is_active="Whether it is still operating.",
)

ENTITIES = (
    SETUP_TYPE,
    BEHAVIORAL_CATEGORY,
    BEHAVIORAL_PARADIGM,
    REGULATORY_AUTHORITY,
    SUPPLIER,
    HARDWARE_DEVICE,
)
