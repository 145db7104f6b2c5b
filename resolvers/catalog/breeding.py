"""Breedings (BrainSTEM ``stem/breeding``): a mother and a father of a project and their
litter, seen and changed with their project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from gateway.db.models import Breeding, Subject, SubjectProject, table
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Attribute, BrainstemName, Entity, Invariant, Order, Writes
from resolvers.relations import ToOne

_breeding, _subject, _linked = table(Breeding), table(Subject), table(SubjectProject)


def _parents_in_project(rows: Any) -> ColumnElement[bool]:
    """Both parents belong to the breeding's project (own it, or are linked to it)."""
    members = select(_subject.c.id).where(_subject.c.project_id == rows.c.project_id).union(
        select(_linked.c.subject_id).where(_linked.c.project_id == rows.c.project_id)
    )
    return and_(rows.c.mother_id.in_(members), rows.c.father_id.in_(members))


def _litter_counted(rows: Any) -> ColumnElement[bool]:
    return or_(rows.c.litter_size.is_(None), rows.c.litter_size > 0)


# No reverse relations: BrainSTEM's project and subject records list no breedings.
def _parent(fk: str, who: str) -> ToOne:
    return ToOne("Subject", fk, f"The {who}.", True, True)


BREEDING = Entity(
    "Breeding",
    _breeding,
    columns(
        _breeding, "id", "name", "project_id", "mother_id", "father_id", "birth_date",
        "start_date", "end_date", "weaning_date", "litter_size", "created_at", "updated_at",
    ),
    default_order=(Order("name"),),
    relations={
        "project": ToOne("Project", "project_id", "The project it belongs to.", True, True),
        "mother": _parent("mother_id", "mother"),
        "father": _parent("father_id", "father"),
    },
    description="A breeding of two subjects of a project (BrainSTEM stem/breeding).",
    plural="breedings",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _breeding,
        id="Its id.",
        name=Attribute("Its name (at most 100 characters).", writable=True, required=True),
        description=Attribute("What it is for.", writable=True),
        tags=Attribute("Labels shared by all users.", writable=True),
        birth_date=Attribute("When the litter was born.", writable=True),
        start_date=Attribute("When the pair was put together.", writable=True),
        end_date=Attribute("When the pair was separated.", writable=True),
        weaning_date=Attribute("When the litter was weaned.", writable=True),
        litter_size=Attribute("How many were born (a positive number).", writable=True),
        expected_genotype=Attribute(
            "The genotype expected of the litter (at most 100 characters).", writable=True
        ),
        created_at="When it was created (UTC).",
        updated_at="When it last changed (UTC).",
    ),
    brainstem=BrainstemName("stem", "breeding", "breeding", "breedings"),
    invariants=(
        Invariant(
            "mother", "The mother and the father must belong to the breeding's project.",
            _parents_in_project,
        ),
        Invariant("litter_size", "Ensure this value is greater than 0.", _litter_counted),
    ),
)

ENTITIES = (BREEDING,)
