"""Accounts: laboratories and users (their public profiles)."""

from __future__ import annotations

from gateway.db.models import LabMembership, Laboratory, User, table
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Entity, FieldSpec, Kind, Order
from resolvers.relations import Link, ToMany

_lab, _user, _lab_members = table(Laboratory), table(User), table(LabMembership)
# Filtered and sorted on, not shown: when the account or laboratory was created.
_CREATED = "When it was created (UTC)."

LABORATORY = Entity(
    "Laboratory",
    _lab,
    {
        **columns(_lab, "id", "name", "institution", "timezone"),
        "created_at": FieldSpec(_lab.c.created_at, Kind.DATETIME, description=_CREATED),
    },
    default_order=(Order("name"),),
    description="A laboratory (Alyx ``labs``).",
    plural="laboratories",
    lookups=("id", "name"),
    attributes=attributes(
        _lab,
        id="Its id.",
        name="Its unique name (Alyx looks labs up by it).",
        institution="The institution it belongs to.",
        address="Its postal address.",
        timezone="The time zone its sessions are recorded in.",
        json_data="Free-form fields (Alyx's json).",
    ),
)
USER = Entity(
    "User",
    _user,
    {
        **columns(_user, "id", "username", "first_name", "last_name"),
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
        first_name="Their first name.",
        last_name="Their last name.",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (LABORATORY, USER)
