"""Accounts: laboratories and users (their public profiles)."""

from __future__ import annotations

from gateway.db.models import LabMembership, Laboratory, LabPrincipalInvestigator, User, table
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Attribute, BrainstemName, Entity, FieldSpec, Kind, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_lab, _user, _lab_members = table(Laboratory), table(User), table(LabMembership)
# Filtered and sorted on, not shown: when the account or laboratory was created.
_CREATED = "When it was created (UTC)."

LABORATORY = Entity(
    "Laboratory",
    _lab,
    {
        **columns(
            _lab, "id", "name", "institution", "timezone", "group_id", "city", "country",
            "updated_at",
        ),
        "created_at": FieldSpec(_lab.c.created_at, Kind.DATETIME, description=_CREATED),
    },
    default_order=(Order("name"),),
    relations={
        "group": ToOne(
            "Group", "group_id", "The group it is (BrainSTEM names a laboratory by it).", True
        ),
        "principal_investigators": ToMany(
            "User",
            links=(Link(table(LabPrincipalInvestigator), "lab_id", "user_id"),),
            description="Its principal investigators.",
            written_as="principal_investigator_ids",
        ),
    },
    description="A laboratory: Alyx's ``labs`` and BrainSTEM's users/laboratory, one entity. "
    "Administrators and the managers of its group change it.",
    plural="laboratories",
    lookups=("id", "name"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _lab,
        id="Its id.",
        name=Attribute("Its unique name (Alyx looks labs up by it).", writable=True),
        institution=Attribute("The institution it belongs to.", writable=True),
        address=Attribute("Its postal address.", writable=True),
        timezone=Attribute("The time zone its sessions are recorded in.", writable=True),
        json_data=Attribute("Free-form fields (Alyx's json).", writable=True),
        description=Attribute("What it is (at most 500 characters).", writable=True),
        website=Attribute("Its website (at most 200 characters).", writable=True),
        department=Attribute("Its department (at most 100 characters).", writable=True),
        city=Attribute("Its city (at most 100 characters).", writable=True),
        country=Attribute("Its country (at most 100 characters).", writable=True),
        updated_at="When it last changed (UTC).",
    ),
    brainstem=BrainstemName("users", "laboratory", "laboratory", "laboratories"),
)
USER = Entity(
    "User",
    _user,
    {
        **columns(_user, "id", "username", "first_name", "last_name", "alyx_id"),
        "created_at": FieldSpec(_user.c.created_at, Kind.DATETIME, description=_CREATED),
    },
    default_order=(Order("username"),),
    relations={
        "laboratories": ToMany(
            "Laboratory",
            links=(Link(_lab_members, "user_id", "lab_id"),),
            description="The laboratories they belong to, by name.",
        ),
        "responsible_for": ToMany(
            "Subject",
            ("responsible_user_id",),
            description="The subjects they are responsible for, by nickname.",
        ),
    },
    description="A person with an account (their public profile).",
    plural="users",
    lookups=("id",),
    attributes=attributes(
        _user,
        id="Their id.",
        username="Their unique user name (Alyx looks users up by it).",
        alyx_id="Their id on the Alyx surface (a UUID, as Alyx's user ids are).",
        first_name="Their first name.",
        last_name="Their last name.",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (LABORATORY, USER)
