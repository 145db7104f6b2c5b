"""Alyx's actions on a subject (``actions`` app): weighings, water administrations, water
restrictions and surgeries, each seen and changed with its subject, and the reference lists
they name, water types and procedure types (seen by everyone, changed by admins)."""

from __future__ import annotations

from sqlalchemy import Table, and_

from gateway.db.models import (
    ProcedureType,
    Subject,
    Surgery,
    SurgeryProcedure,
    SurgeryUser,
    User,
    WaterAdministration,
    WaterRestriction,
    WaterRestrictionUser,
    WaterType,
    Weighing,
    table,
)
from resolvers.catalog.fields import attributes, columns, related_value, to_many
from resolvers.query import Attribute, Entity, FieldSpec, Kind, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_water_type, _procedure_type = table(WaterType), table(ProcedureType)
_weighing, _administration = table(Weighing), table(WaterAdministration)
_restriction, _surgery = table(WaterRestriction), table(Surgery)
_subject, _user = table(Subject), table(User)
_restriction_users, _surgery_users = table(WaterRestrictionUser), table(SurgeryUser)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."
_GRAMS = "In grams, at least 0."


def _of_subject(reverse: str, meaning: str) -> ToOne:
    return ToOne("Subject", "subject_id", "The subject it concerns.", True, True, reverse, meaning)


def _by_subject(row: Table) -> dict[str, FieldSpec]:
    """What Alyx's action filters name of the subject and the user (by slug)."""
    found = {
        "subject_nickname": FieldSpec(
            related_value(_subject.c.nickname, _subject.c.id, row.c.subject_id),
            Kind.STRING,
            description="The nickname of its subject.",
        ),
    }
    if "user_id" in row.c:
        found["username"] = FieldSpec(
            related_value(_user.c.username, _user.c.id, row.c.user_id),
            Kind.STRING,
            description="The username of who did it.",
        )
    return found


def _users(row: Table, links: Table, near: str) -> tuple[FieldSpec, ToMany]:
    """Alyx's ``users`` of an action (its ``BaseAction``): the filter-only ``username`` its
    ``users`` filter and a user's actions match, and the relation writes set (by default,
    the caller)."""
    username = to_many(
        row.c.id,
        (_user.c.username, and_(links.c[near] == row.c.id, _user.c.id == links.c.user_id)),
        kind=Kind.STRING,
        description="The username of one of those who did it.",
    )
    users = ToMany(
        "User",
        links=(Link(links, near, "user_id"),),
        description="Who did it, by username (by default, who recorded it).",
        written_as="user_ids",
    )
    return username, users


_RESTRICTION_USERNAME, _RESTRICTION_USERS = _users(
    _restriction, _restriction_users, "water_restriction_id"
)
_SURGERY_USERNAME, _SURGERY_USERS = _users(_surgery, _surgery_users, "surgery_id")

_WATER_TYPE = ToOne("WaterType", "water_type_id", "The kind of water.", writable=True)


WATER_TYPE = Entity(
    "WaterType",
    _water_type,
    columns(_water_type, "id", "name"),
    default_order=(Order("name"),),
    description="A kind of water given to subjects (Alyx ``water-type``).",
    plural="waterTypes",
    lookups=("id", "name"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _water_type, id="Its id.", name=Attribute("Its unique name.", True, True)
    ),
)
PROCEDURE_TYPE = Entity(
    "ProcedureType",
    _procedure_type,
    columns(_procedure_type, "id", "name"),
    default_order=(Order("name"),),
    description="A kind of procedure performed on subjects (Alyx ``procedures``).",
    plural="procedureTypes",
    lookups=("id", "name"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _procedure_type,
        id="Its id.",
        name=Attribute("Its unique name.", True, True),
        description=Attribute("What it is.", writable=True),
    ),
)
WEIGHING = Entity(
    "Weighing",
    _weighing,
    {
        **columns(_weighing, "id", "subject_id", "user_id", "date_time", "weight", "created_at"),
        **_by_subject(_weighing),
    },
    default_order=(Order("date_time", descending=True), Order("id")),
    relations={
        "subject": _of_subject("weighings", "Its weighings, newest first."),
        "user": ToOne(
            "User", "user_id", "Who weighed it (by default, who recorded it).", writable=True
        ),
    },
    description="A weighing of a subject (Alyx ``weighings``).",
    plural="weighings",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _weighing,
        id="Its id.",
        date_time=Attribute("When it was weighed (UTC; now when not given).", writable=True),
        weight=Attribute(f"Its weight. {_GRAMS}", True, True, minimum=0.0),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    author="user_id",
)
WATER_ADMINISTRATION = Entity(
    "WaterAdministration",
    _administration,
    {
        **columns(
            _administration, "id", "subject_id", "user_id", "session_id", "date_time",
            "water_administered", "water_type_id", "adlib", "created_at",
        ),
        **_by_subject(_administration),
    },
    default_order=(Order("date_time", descending=True), Order("id")),
    relations={
        "subject": _of_subject("water_administrations", "Water given to it, newest first."),
        "user": ToOne(
            "User", "user_id", "Who gave it (by default, who recorded it).", writable=True
        ),
        "session": ToOne(
            "Session", "session_id", "The session it was given in, if any.", True, False,
            "water_administrations", "Water given in it.",
        ),
        "water_type": _WATER_TYPE,
    },
    description="Water given to a subject (Alyx ``water-administrations``).",
    plural="waterAdministrations",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _administration,
        id="Its id.",
        date_time=Attribute("When it was given (UTC; now when not given).", writable=True),
        water_administered=Attribute(
            "How much, in millilitres (at least 0); none for ad libitum.", True, minimum=0.0
        ),
        adlib=Attribute("Whether it was given ad libitum.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    author="user_id",
)
WATER_RESTRICTION = Entity(
    "WaterRestriction",
    _restriction,
    {
        **columns(
            _restriction, "id", "subject_id", "start_time", "end_time", "reference_weight",
            "water_type_id", "created_at",
        ),
        **_by_subject(_restriction),
        "username": _RESTRICTION_USERNAME,
    },
    # Alyx's ``order_by('-end_time', '-start_time')`` on PostgreSQL: NULL first, so the
    # restrictions under way lead.
    default_order=(
        Order("end_time", descending=True, null_largest=True),
        Order("start_time", descending=True, null_largest=True),
        Order("id"),
    ),
    relations={
        "subject": _of_subject(
            "water_restrictions", "The periods its water was restricted, the current first."
        ),
        "water_type": _WATER_TYPE,
        "users": _RESTRICTION_USERS,
    },
    description="A period a subject's water is restricted (Alyx ``water-restriction``).",
    plural="waterRestrictions",
    lookups=("id",),
    writes=Writes.DIRECT,
    authors="user_ids",
    attributes=attributes(
        _restriction,
        id="Its id.",
        start_time=Attribute("When it started (UTC; now when not given).", writable=True),
        end_time=Attribute("When it ended; none while it lasts.", writable=True),
        reference_weight=Attribute(
            f"The weight the water given is computed from; 0: the last weighing before its "
            f"start. {_GRAMS}",
            writable=True,
            minimum=0.0,
        ),
        narrative=Attribute("Notes on it.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
SURGERY = Entity(
    "Surgery",
    _surgery,
    {
        **columns(
            _surgery, "id", "subject_id", "lab_id", "start_time", "end_time", "outcome_type",
            "implant_weight", "created_at",
        ),
        **_by_subject(_surgery),
        "username": _SURGERY_USERNAME,
    },
    default_order=(Order("start_time", descending=True), Order("id")),
    relations={
        "subject": _of_subject("surgeries", "Its surgeries, newest first."),
        "lab": ToOne("Laboratory", "lab_id", "The laboratory that did it.", writable=True),
        "procedures": ToMany(
            "ProcedureType",
            links=(Link(table(SurgeryProcedure), "surgery_id", "procedure_type_id"),),
            description="The procedures performed in it.",
            written_as="procedure_type_ids",
        ),
        "users": _SURGERY_USERS,
    },
    description="A surgery on a subject (Alyx ``surgeries``).",
    plural="surgeries",
    lookups=("id",),
    writes=Writes.DIRECT,
    authors="user_ids",
    attributes=attributes(
        _surgery,
        id="Its id.",
        name=Attribute("Its long name.", writable=True),
        narrative=Attribute("Notes on it.", writable=True),
        start_time=Attribute("When it started (UTC; now when not given).", writable=True),
        end_time=Attribute("When it ended.", writable=True),
        outcome_type=Attribute(
            "Its outcome: a (acute), r (recovery), n (non-recovery), or blank.", writable=True
        ),
        implant_weight=Attribute(f"The weight implanted. {_GRAMS}", True, minimum=0.0),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (
    WEIGHING,
    WATER_ADMINISTRATION,
    WATER_RESTRICTION,
    WATER_TYPE,
    SURGERY,
    PROCEDURE_TYPE,
)
