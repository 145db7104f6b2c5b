"""Taxonomy: categories, species, strains, and the approvals that change them."""

from __future__ import annotations

from sqlalchemy import Table

from gateway.db.models import Approval, Category, Species, Strain, table
from gateway.db.models.search import CATEGORY_SEARCH, SPECIES_SEARCH
from gateway.db.models.taxonomy import ApprovalAction, ApprovalModel, ApprovalStatus
from resolvers.catalog.fields import (
    attributes,
    choices,
    columns,
    related_value,
    scientific_slug,
)
from resolvers.query import AsSeen, Attribute, Entity, FieldSpec, Kind, Order, Writes
from resolvers.relations import ToMany, ToOne

_category, _species, _strain = table(Category), table(Species), table(Strain)
_approval = table(Approval)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."
_CHANGES = "The {} it changes, while that exists (for an Add: once accepted)."
_APPROVALS = "Proposed changes to it, newest first."
# What species and strains share (BrainSTEM taxonomy entries).
_TAXON: dict[str, str | Attribute] = {
    "description": Attribute("What it is.", writable=True),
    "comments": Attribute("Notes for the reviewers of a proposal.", writable=True),
    "rrid": Attribute("Its Research Resource Identifier (RRID:...).", writable=True),
    "created_at": _CREATED,
    "updated_at": _UPDATED,
}


def category_name(row: Table) -> AsSeen:
    """The name of the category a row's ``category_id`` names."""
    return related_value(_category.c.name, _category.c.id, row.c.category_id)


CATEGORY = Entity(
    "Category",
    _category,
    columns(_category, "id", "name", "description", "created_at", "updated_at"),
    default_order=(Order("name"),),
    search=CATEGORY_SEARCH,
    relations={
        "species": ToMany("Species", ("category_id",), description="Species in it, by name."),
        "brains": ToMany("Brain", ("category_id",), description="Brain scans in it, newest first."),
        "approvals": ToMany("Approval", ("category_id",), description=_APPROVALS),
    },
    description="A BrainMaps grouping of species, e.g. Rodents or Cephalopods.",
    plural="categories",
    lookups=("id", "name"),
    writes=Writes.APPROVAL,
    attributes=attributes(
        _category,
        id="Its id.",
        name=Attribute("Its unique name (BrainMaps looks categories up by it).", True, True),
        description=Attribute("What it groups.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
SPECIES = Entity(
    "Species",
    _species,
    {
        **columns(
            _species,
            "id",
            "name",
            "scientific_name",
            "description",
            "category_id",
            "created_at",
            "updated_at",
        ),
        "category_name": FieldSpec(
            category_name(_species), Kind.STRING, description="The name of its category."
        ),
        # BrainMaps' filter on the scientific name as seed 000's slug ``mus-musculus``.
        "scientific_name_slug": scientific_slug(
            _species.c.scientific_name, "Its scientific name as a slug, e.g. mus-musculus."
        ),
    },
    default_order=(Order("name"),),
    search=SPECIES_SEARCH,
    relations={
        "category": ToOne(
            "Category", "category_id", "The BrainMaps grouping it belongs to.", writable=True
        ),
        "strains": ToMany("Strain", ("species_id",), description="Its strains, by name."),
        "subjects": ToMany("Subject", ("species_id",), description="Its subjects, by nickname."),
        "brains": ToMany("Brain", ("species_id",), description="Its brain scans, newest first."),
        "approvals": ToMany("Approval", ("species_id",), description=_APPROVALS),
    },
    description="A species (BrainSTEM taxonomy, BrainMaps species).",
    plural="species",
    lookups=("id", "name"),
    writes=Writes.APPROVAL,
    attributes=attributes(
        _species,
        id="Its id.",
        name=Attribute("Its unique common name, e.g. Mouse.", True, True),
        scientific_name=Attribute("Its scientific name, e.g. Mus musculus.", writable=True),
        **_TAXON,
    ),
)
STRAIN = Entity(
    "Strain",
    _strain,
    columns(_strain, "id", "name", "description", "species_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "species": ToOne(
            "Species", "species_id", "The species it is a strain of.", True, required=True
        ),
        "subjects": ToMany("Subject", ("strain_id",), description="Its subjects, by nickname."),
        "approvals": ToMany("Approval", ("strain_id",), description=_APPROVALS),
    },
    description="A strain of a species.",
    plural="strains",
    lookups=("id", "name"),
    writes=Writes.APPROVAL,
    attributes=attributes(
        _strain,
        id="Its id.",
        name=Attribute("Its unique name, e.g. C57BL/6J.", True, True),
        **_TAXON,
    ),
)
APPROVAL = Entity(
    "Approval",
    _approval,
    columns(
        _approval,
        "id",
        "model",
        "action",
        "instance_id",
        "species_id",
        "strain_id",
        "category_id",
        "record_id",
        "status",
        "submitter_id",
        "reviewer_id",
        "created_at",
        "updated_at",
        "reviewed_at",
    ),
    default_order=(Order("created_at", descending=True),),
    relations={
        "submitter": ToOne("User", "submitter_id", "Who proposed the change."),
        "reviewer": ToOne("User", "reviewer_id", "Who accepted or rejected it."),
        "species": ToOne("Species", "species_id", _CHANGES.format("species")),
        "strain": ToOne("Strain", "strain_id", _CHANGES.format("strain")),
        "category": ToOne("Category", "category_id", _CHANGES.format("category")),
        # Every other model written through approval: by ``record_id``, added when the
        # graph is assembled (resolvers.graph).
    },
    description="A proposed change to a taxonomy or reference record, waiting for review.",
    plural="approvals",
    lookups=("id",),
    attributes=attributes(
        _approval,
        id="Its id.",
        model=Attribute(
            "The kind of record it changes.",
            choices=choices(
                ApprovalModel,
                SPECIES="A species.",
                STRAIN="A strain.",
                CATEGORY="A category.",
                SETUP_TYPE="A setup type.",
                BEHAVIORAL_CATEGORY="A behavioral category.",
                BEHAVIORAL_PARADIGM="A behavioral paradigm.",
                REGULATORY_AUTHORITY="A regulatory authority.",
                SUPPLIER="A supplier.",
                HARDWARE_DEVICE="A hardware device.",
                CONSUMABLE="A consumable.",
                JOURNAL="A journal.",
            ),
        ),
        action=Attribute(
            "What it does to the record.",
            choices=choices(
                ApprovalAction,
                ADD="Creates a new record from the proposed values.",
                CHANGE="Changes the proposed fields of an existing record.",
                DELETE="Deletes an existing record.",
            ),
        ),
        instance_id="The id of the record it changes (none for Add).",
        record_id="The id of the record it changes, while that exists, for models without "
        "a field of their own here (for an Add: once accepted).",
        proposed="The proposed values of the record's fields.",
        status=Attribute(
            "Where it is in its review.",
            choices=choices(
                ApprovalStatus,
                PENDING="Waiting for a reviewer.",
                ACCEPTED="A reviewer accepted it and the change was applied.",
                REJECTED="A reviewer rejected it; nothing changed.",
            ),
        ),
        comments="The submitter's notes for the reviewers.",
        review_comment="The reviewer's answer.",
        created_at="When it was proposed (UTC).",
        updated_at=_UPDATED,
        reviewed_at="When it was accepted or rejected (UTC).",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (CATEGORY, SPECIES, STRAIN, APPROVAL)
